import {
  type HeadersLike,
  type Limiter,
  localTokenCounter,
  type MessagesRequestLike,
  type Priority,
  type Reservation,
  scopeOf,
  type TokenCounter,
} from '@baton/ratelimit';
import { AbortError, SpendLimitError } from './errors.js';
import type { TokenCounts } from './pricing.js';

/** What one API request asks of the rate limits. */
export interface RateRequest {
  provider: string;
  apiKey?: string | undefined;
  model: string;
  /** The request body (its input tokens are counted from it). */
  body: MessagesRequestLike;
  maxTokens: number;
  team?: string | undefined;
  /** Class in the limiter's fair queue (high before normal before low). */
  priority?: Priority | undefined;
  signal?: AbortSignal | undefined;
}

/** Capacity held for one request. */
export interface RateTicket {
  readonly model: string;
  readonly waitedMs: number;
}

export interface RateLimitedInfo {
  headers?: HeadersLike | undefined;
  status?: number | undefined;
  message?: string | undefined;
}

/**
 * The rate-limit port of core. Every API request `acquire`s before it is sent and then either
 * `settle`s (the server charged it: actual usage + response headers), `release`s (the server did
 * not charge it) or reports `rateLimited` (a 429).
 */
export interface RateGate {
  acquire(request: RateRequest): Promise<RateTicket>;
  settle(ticket: RateTicket, usage: TokenCounts, headers?: HeadersLike): Promise<void>;
  release(ticket: RateTicket): Promise<void>;
  /** A 429: returns how long to pause; throws SpendLimitError when it is final. */
  rateLimited(ticket: RateTicket, info: RateLimitedInfo): Promise<{ retryAfterMs?: number }>;
  /** Charges usage that was not reserved beforehand (Claude Code reports it after the fact). */
  charge(model: string, usage: TokenCounts, apiKey?: string): Promise<void>;
}

/** A gate that never waits (limits enforced elsewhere, or not at all). */
export function unlimitedGate(): RateGate {
  return {
    acquire: async (r) => ({ model: r.model, waitedMs: 0 }),
    settle: async () => {},
    release: async () => {},
    rateLimited: async () => ({}),
    charge: async () => {},
  };
}

export interface LimiterGateOptions {
  /** Counts a request's input tokens (default: @baton/ratelimit's local estimate). */
  tokenCounter?: TokenCounter;
  /** Scope of a request (default: API key × model class, as Anthropic keeps limits). */
  scope?: (request: { apiKey?: string | undefined; model: string; provider: string }) => string;
}

interface LimiterTicket extends RateTicket {
  reservation: Reservation;
}

/** Adapts a @baton/ratelimit limiter to the gate: reserve, settle with usage, calibrate from headers. */
export function limiterGate(limiter: Limiter, options: LimiterGateOptions = {}): RateGate {
  const counter = options.tokenCounter ?? localTokenCounter();
  // The default scope is a pure function of key and model: remembered, not re-hashed per request.
  const scopes = new Map<string | undefined, Map<string, string>>();
  const defaultScope = (r: { apiKey?: string | undefined; model: string }): string => {
    let byModel = scopes.get(r.apiKey);
    if (!byModel) {
      if (scopes.size >= 64) scopes.clear();
      byModel = new Map();
      scopes.set(r.apiKey, byModel);
    }
    let scope = byModel.get(r.model);
    if (scope === undefined) {
      if (byModel.size >= 256) byModel.clear();
      scope = scopeOf(r.apiKey, r.model);
      byModel.set(r.model, scope);
    }
    return scope;
  };
  const scopeFn = options.scope ?? defaultScope;
  const usageOf = (u: TokenCounts) => ({
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheCreationInputTokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens,
    cacheReadInputTokens: u.cacheReadTokens,
  });
  return {
    async acquire(r) {
      const inputTokens = counter.countSync
        ? counter.countSync(r.body)
        : await counter.count(r.body);
      try {
        const reservation = await limiter.acquire(scopeFn(r), {
          inputTokens,
          maxTokens: r.maxTokens,
          ...(r.team !== undefined ? { team: r.team } : {}),
          ...(r.priority !== undefined ? { priority: r.priority } : {}),
          ...(r.signal ? { signal: r.signal } : {}),
        });
        const t: LimiterTicket = { model: r.model, waitedMs: reservation.waitedMs, reservation };
        return t;
      } catch (e) {
        if ((e as { code?: string }).code === 'aborted') throw new AbortError(e);
        if ((e as { code?: string }).code === 'spend_limit')
          throw new SpendLimitError((e as Error).message, { cause: e, model: r.model });
        throw e;
      }
    },
    async settle(ticket, usage, headers) {
      const { reservation } = ticket as LimiterTicket;
      // Both leave before either answers (settle updates the reservation synchronously, which
      // calibrate reads), so a store that batches sends them as one statement.
      const settled = limiter.settle(reservation, usageOf(usage));
      if (headers) await Promise.all([settled, limiter.calibrate(reservation, headers)]);
      else await settled;
    },
    async release(ticket) {
      await limiter.release((ticket as LimiterTicket).reservation);
    },
    async rateLimited(ticket, info) {
      const outcome = await limiter.rateLimited((ticket as LimiterTicket).reservation, info);
      if (outcome.final) {
        throw new SpendLimitError(outcome.error.message, {
          cause: outcome.error,
          model: ticket.model,
        });
      }
      return { retryAfterMs: outcome.retryAfterMs ?? outcome.pauseMs };
    },
    async charge(model, usage, apiKey) {
      const reservation = await limiter.acquire(scopeFn({ apiKey, model, provider: '' }), {
        inputTokens: 0,
        outputTokens: 0,
      });
      await limiter.settle(reservation, usageOf(usage));
    },
  };
}
