import { type Backoff, type BackoffOptions, createBackoff } from './backoff.js';
import { msUntilFull } from './bucket.js';
import { getHeader, type HeadersLike, isSpendLimit, parseRetryAfter } from './calibrate.js';
import { type Clock, systemClock } from './clock.js';
import {
  AbortedError,
  ClosedError,
  DeadlineError,
  OversizeError,
  ProviderSpendLimitError,
} from './errors.js';
import { type OutputEstimator, outputEstimator } from './estimate.js';
import { FairQueue, type Priority } from './fair-queue.js';
import {
  type Amounts,
  capacitiesOf,
  chargeOf,
  DIMENSIONS,
  type Dimension,
  type Limits,
  requestAmounts,
  type Usage,
  WINDOW_MS,
} from './limits.js';
import type { RateLimitStore, ReserveResult, ScopeSnapshot } from './store.js';

export interface LimiterOptions {
  store: RateLimitStore;
  /** Configured limits: the same for every scope, or per scope. Headers teach the rest. */
  limits?: Limits | ((scope: string) => Limits | undefined);
  clock?: Clock;
  backoff?: BackoffOptions;
  /**
   * How much output to reserve. `max-tokens` (default) reserves `maxTokens`, capped at the
   * bucket, as Anthropic checks it at admission; `estimate` reserves the history-based estimate
   * (for providers that only charge actual output). Settlement charges the actual output either way.
   */
  outputReservation?: 'max-tokens' | 'estimate';
  outputEstimator?: OutputEstimator;
  /** Team weights for fair queueing (default 1 each). */
  teamWeights?: Record<string, number>;
  /**
   * Learn a combined `tokens` bucket from `anthropic-ratelimit-tokens-*`. Off by default:
   * Anthropic reports there the most restrictive of its input/output limits, not a combined one.
   */
  learnCombinedTokens?: boolean;
}

export interface AcquireOptions {
  /** Input tokens of the request (from a TokenCounter). */
  inputTokens: number;
  /** The request's `max_tokens`. */
  maxTokens?: number;
  /** Output tokens to reserve, overriding the policy. */
  outputTokens?: number;
  /** Groups similar requests for the output estimate (default: the scope). */
  kind?: string;
  team?: string;
  priority?: Priority;
  signal?: AbortSignal;
  /** Absolute deadline (ms since epoch or Date). */
  deadline?: number | Date;
  /** Relative deadline. */
  timeoutMs?: number;
}

/** Capacity held for one request between `acquire` and `settle`/`release`. */
export interface Reservation {
  readonly id: number;
  readonly scope: string;
  /** What is currently charged to the buckets for this request. */
  readonly charged: Readonly<Amounts>;
  readonly maxTokens: number | undefined;
  readonly kind: string;
  readonly team: string | undefined;
  /** When the capacity was granted (limiter clock). */
  readonly acquiredAt: number;
  /** How long the request waited in the queue. */
  readonly waitedMs: number;
  /** True once output usage was settled or the reservation released. */
  readonly done: boolean;
}

interface MutableReservation {
  id: number;
  scope: string;
  charged: Amounts;
  maxTokens: number | undefined;
  /** What the server charges for output at admission (min(max_tokens, capacity)). */
  serverOutput: number | undefined;
  kind: string;
  team: string | undefined;
  acquiredAt: number;
  waitedMs: number;
  done: boolean;
}

/** Per-dimension view of a scope. */
export interface DimensionState {
  capacity: number;
  remaining: number;
  /** When the bucket is full again (ms). */
  resetAt: number;
}

export interface LimiterState {
  scope: string;
  now: number;
  pausedUntil: number;
  dimensions: Partial<Record<Dimension, DimensionState>>;
  /** Requests waiting in this process. */
  queued: number;
  queuedByTeam: Record<string, number>;
  /** Sum of the waiting requests' amounts. */
  queuedAmounts: Amounts;
  /** Requests sent and not yet settled (this process). */
  inFlight: number;
  consecutiveRateLimits: number;
  spendLimited: boolean;
}

/** Result of `tryAcquire`: granted now, or how long to wait. */
export type TryAcquireResult =
  | {
      ok: true;
      waitMs: 0;
      reservation: Reservation;
      remaining: Partial<Record<Dimension, number>>;
      resetAt: number;
    }
  | {
      ok: false;
      waitMs: number;
      limitedBy: Dimension | 'pause' | undefined;
      remaining: Partial<Record<Dimension, number>>;
      resetAt: number;
    };

export interface SettleResult {
  /** Charged (+) or returned (−) per dimension. */
  difference: Amounts;
  snapshot: ScopeSnapshot;
}

export interface RateLimitedInfo {
  headers?: HeadersLike;
  /** The error message (or raw body) of the 429. */
  message?: string;
  status?: number;
}

export type RateLimitedOutcome =
  | { final: true; error: ProviderSpendLimitError }
  | { final: false; pauseMs: number; retryAfterMs: number | undefined };

export interface CalibrateOptions {
  /** What the server charged for this request when it wrote the headers (default: as reserved). */
  serverCharged?: Amounts;
}

export interface Limiter {
  /** Waits (fairly, abortably) until the request fits, then reserves its capacity. */
  acquire(scope: string, options: AcquireOptions): Promise<Reservation>;
  /** Reserves if the request fits now (and nobody is waiting); never waits. */
  tryAcquire(scope: string, options: AcquireOptions): Promise<TryAcquireResult>;
  /** Charges the actual usage, returning or charging the difference. Final once output is known. */
  settle(reservation: Reservation, usage: Partial<Usage>): Promise<SettleResult>;
  /** Returns everything reserved (the request was not sent, or the server did not charge it). */
  release(reservation: Reservation): Promise<void>;
  /** Re-syncs the scope's buckets from a response's `anthropic-ratelimit-*` headers. */
  calibrate(
    target: Reservation | string,
    headers: HeadersLike,
    options?: CalibrateOptions,
  ): Promise<ScopeSnapshot | undefined>;
  /** A 429 arrived: releases the reservation, pauses the scope (retry-after/backoff) or fails for good. */
  rateLimited(target: Reservation | string, info: RateLimitedInfo): Promise<RateLimitedOutcome>;
  state(scope: string): Promise<LimiterState>;
  /** Allows a scope again after a spend-limit error. */
  clearSpendLimit(scope: string): void;
  /** Rejects every waiter with ClosedError. */
  close(): void;
  readonly clock: Clock;
  readonly outputEstimator: OutputEstimator;
}

interface Waiter {
  scope: string;
  amounts: Amounts;
  options: AcquireOptions;
  reservation: MutableReservation;
  enqueuedAt: number;
  deadline: number | undefined;
  resolve(r: Reservation): void;
  reject(e: unknown): void;
  done: boolean;
  cleanup(): void;
}

interface ScopeQueue {
  queue: FairQueue<Waiter>;
  running: boolean;
  kick: boolean;
  cancelTimer: (() => void) | undefined;
}

const HEADER_PREFIX: Record<Dimension, string> = {
  requests: 'anthropic-ratelimit-requests-',
  inputTokens: 'anthropic-ratelimit-input-tokens-',
  outputTokens: 'anthropic-ratelimit-output-tokens-',
  tokens: 'anthropic-ratelimit-tokens-',
};

function headerNumber(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `limit` and `remaining` of one dimension from `anthropic-ratelimit-*` headers (as parseRateLimitHeaders reads them). */
function serverLimit(
  headers: HeadersLike,
  d: Dimension,
): { limit: number | undefined; remaining: number | undefined } | undefined {
  const prefix = HEADER_PREFIX[d];
  const limit = headerNumber(getHeader(headers, `${prefix}limit`));
  const remaining = headerNumber(getHeader(headers, `${prefix}remaining`));
  if (limit === undefined && remaining === undefined) return undefined;
  return { limit, remaining };
}

function addAmounts(a: Amounts, b: Amounts): Amounts {
  const out: Amounts = { ...a };
  for (const d of DIMENSIONS) {
    const v = b[d];
    if (v !== undefined) out[d] = (out[d] ?? 0) + v;
  }
  return out;
}

function negate(a: Amounts): Amounts {
  const out: Amounts = {};
  for (const d of DIMENSIONS) {
    const v = a[d];
    if (v) out[d] = -v;
  }
  return out;
}

/** A rate limiter for any number of scopes (e.g. `${apiKey}:${modelClass}`) over one store. */
export function createLimiter(options: LimiterOptions): Limiter {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const estimator = options.outputEstimator ?? outputEstimator();
  const policy = options.outputReservation ?? 'max-tokens';
  const queues = new Map<string, ScopeQueue>();
  const inFlight = new Map<string, Map<number, MutableReservation>>();
  const backoffs = new Map<string, Backoff>();
  const spendLimited = new Map<string, ProviderSpendLimitError>();
  const lastSnapshot = new Map<string, ScopeSnapshot>();
  let nextId = 1;
  let closed = false;

  // Fixed limits are the same for every scope: validated and converted once, on first use.
  let fixedCapacities: Amounts | undefined;
  const configured = (scope: string): Amounts => {
    if (typeof options.limits === 'function') {
      const l = options.limits(scope);
      return l ? capacitiesOf(l) : {};
    }
    if (!fixedCapacities) fixedCapacities = options.limits ? capacitiesOf(options.limits) : {};
    return fixedCapacities;
  };
  const capacityOf = (scope: string, d: Dimension): number | undefined =>
    lastSnapshot.get(scope)?.buckets[d]?.capacity ?? configured(scope)[d];
  const backoffOf = (scope: string): Backoff => {
    let b = backoffs.get(scope);
    if (!b) {
      b = createBackoff(options.backoff);
      backoffs.set(scope, b);
    }
    return b;
  };
  const remember = (scope: string, snap: ScopeSnapshot) => {
    lastSnapshot.set(scope, snap);
    return snap;
  };

  const plan = (scope: string, o: AcquireOptions): MutableReservation => {
    if (!(o.inputTokens >= 0))
      throw new RangeError(`inputTokens must be ≥ 0, got ${o.inputTokens}`);
    const kind = o.kind ?? scope;
    const outCap = capacityOf(scope, 'outputTokens');
    const serverOutput =
      o.maxTokens === undefined ? undefined : Math.min(o.maxTokens, outCap ?? o.maxTokens);
    let output: number;
    if (o.outputTokens !== undefined) output = o.outputTokens;
    else if (o.maxTokens === undefined) output = 0;
    else if (policy === 'estimate') output = estimator.estimate(kind, o.maxTokens);
    else output = serverOutput ?? o.maxTokens;
    return {
      id: nextId++,
      scope,
      charged: requestAmounts(o.inputTokens, output),
      maxTokens: o.maxTokens,
      serverOutput,
      kind,
      team: o.team,
      acquiredAt: 0,
      waitedMs: 0,
      done: false,
    };
  };

  const track = (r: MutableReservation) => {
    let m = inFlight.get(r.scope);
    if (!m) {
      m = new Map();
      inFlight.set(r.scope, m);
    }
    m.set(r.id, r);
  };
  const untrack = (r: MutableReservation) => {
    r.done = true;
    inFlight.get(r.scope)?.delete(r.id);
  };

  const queueOf = (scope: string): ScopeQueue => {
    let q = queues.get(scope);
    if (!q) {
      q = {
        queue: new FairQueue<Waiter>(options.teamWeights ? { weights: options.teamWeights } : {}),
        running: false,
        kick: false,
        cancelTimer: undefined,
      };
      queues.set(scope, q);
    }
    return q;
  };

  const fail = (q: ScopeQueue, w: Waiter, e: unknown) => {
    if (w.done) return;
    w.done = true;
    q.queue.remove(w);
    w.cleanup();
    w.reject(e);
  };

  const grant = (q: ScopeQueue, w: Waiter, snap: ScopeSnapshot) => {
    w.done = true;
    q.queue.served(w);
    w.cleanup();
    const now = clock.now();
    w.reservation.acquiredAt = now;
    w.reservation.waitedMs = now - w.enqueuedAt;
    track(w.reservation);
    remember(w.scope, snap);
    w.resolve(w.reservation);
  };

  const oversizeError = (scope: string, res: ReserveResult, amounts: Amounts): OversizeError => {
    const d = res.oversize as Dimension;
    return new OversizeError(
      scope,
      d,
      amounts[d] ?? 0,
      res.snapshot.buckets[d]?.capacity ?? Number.NaN,
    );
  };

  const pump = async (scope: string): Promise<void> => {
    const q = queues.get(scope);
    if (!q) return;
    if (q.running) {
      q.kick = true;
      return;
    }
    q.running = true;
    q.kick = false;
    q.cancelTimer?.();
    q.cancelTimer = undefined;
    try {
      for (;;) {
        const w = q.queue.peek();
        if (!w) break;
        const spend = spendLimited.get(scope);
        if (spend) {
          fail(q, w, spend);
          continue;
        }
        let res: ReserveResult;
        try {
          res = await store.reserve(scope, { amounts: w.amounts, capacity: configured(scope) });
        } catch (e) {
          fail(q, w, e);
          continue;
        }
        remember(scope, res.snapshot);
        if (w.done) {
          // Aborted while the store was deciding: give back what it took.
          if (res.ok) await store.adjust(scope, negate(w.amounts)).catch(() => undefined);
          continue;
        }
        if (res.ok) {
          grant(q, w, res.snapshot);
          continue;
        }
        if (res.oversize) {
          fail(q, w, oversizeError(scope, res, w.amounts));
          continue;
        }
        const availableAt = clock.now() + res.waitMs;
        if (w.deadline !== undefined && availableAt > w.deadline) {
          fail(q, w, new DeadlineError(w.deadline, availableAt));
          continue;
        }
        if (q.kick) {
          // Capacity came back or someone new arrived while we asked: look again now.
          q.kick = false;
          continue;
        }
        q.cancelTimer = clock.setTimer(() => {
          q.cancelTimer = undefined;
          void pump(scope);
        }, Math.ceil(res.waitMs) + 1);
        break;
      }
    } finally {
      q.running = false;
    }
    if (q.kick && q.queue.size > 0) {
      q.kick = false;
      void pump(scope);
    }
  };

  const kick = (scope: string) => {
    const q = queues.get(scope);
    if (q && q.queue.size > 0) void pump(scope);
  };

  const deadlineOf = (o: AcquireOptions, now: number): number | undefined => {
    let d = o.deadline instanceof Date ? o.deadline.getTime() : o.deadline;
    if (o.timeoutMs !== undefined) d = Math.min(d ?? Number.POSITIVE_INFINITY, now + o.timeoutMs);
    return d;
  };

  const acquire = (scope: string, o: AcquireOptions): Promise<Reservation> => {
    if (closed) return Promise.reject(new ClosedError());
    const spend = spendLimited.get(scope);
    if (spend) return Promise.reject(spend);
    if (o.signal?.aborted) return Promise.reject(new AbortedError(o.signal.reason));
    const reservation = plan(scope, o);
    const now = clock.now();
    const deadline = deadlineOf(o, now);
    if (deadline !== undefined && deadline <= now) {
      return Promise.reject(new DeadlineError(deadline, now));
    }
    // Fast path: nobody waits on this scope and the store answers synchronously — reserve now,
    // without a waiter, a queue turn or a promise per step. A request that does not fit yet
    // takes the queue below (nothing was debited).
    const imm = store.immediate;
    if (imm && !(queues.get(scope)?.queue.size ?? 0)) {
      let res: ReserveResult;
      try {
        res = imm.reserve(scope, { amounts: reservation.charged, capacity: configured(scope) });
      } catch (e) {
        return Promise.reject(e);
      }
      remember(scope, res.snapshot);
      if (res.ok) {
        reservation.acquiredAt = now;
        track(reservation);
        return Promise.resolve(reservation);
      }
      if (res.oversize) return Promise.reject(oversizeError(scope, res, reservation.charged));
    }
    return new Promise<Reservation>((resolve, reject) => {
      const q = queueOf(scope);
      let cancelDeadline: (() => void) | undefined;
      const onAbort = () => {
        fail(q, w, new AbortedError(o.signal?.reason));
        kick(scope);
      };
      const w: Waiter = {
        scope,
        amounts: { ...reservation.charged },
        options: o,
        reservation,
        enqueuedAt: now,
        deadline,
        resolve,
        reject,
        done: false,
        cleanup() {
          o.signal?.removeEventListener('abort', onAbort);
          cancelDeadline?.();
        },
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined && Number.isFinite(deadline)) {
        cancelDeadline = clock.setTimer(() => {
          fail(q, w, new DeadlineError(deadline, Number.NaN));
          kick(scope);
        }, deadline - now);
      }
      const enq: { team?: string; priority?: Priority } = {};
      if (o.team !== undefined) enq.team = o.team;
      if (o.priority !== undefined) enq.priority = o.priority;
      q.queue.push(w, enq);
      void pump(scope);
    });
  };

  const view = (snap: ScopeSnapshot) => {
    const remaining: Partial<Record<Dimension, number>> = {};
    let resetAt = snap.now;
    for (const d of DIMENSIONS) {
      const b = snap.buckets[d];
      if (!b) continue;
      remaining[d] = b.level;
      resetAt = Math.max(resetAt, snap.now + msUntilFull({ ...b, updatedAt: snap.now }));
    }
    return { remaining, resetAt };
  };

  const limiter: Limiter = {
    clock,
    outputEstimator: estimator,
    acquire,

    async tryAcquire(scope, o) {
      const spend = spendLimited.get(scope);
      if (spend) throw spend;
      const q = queues.get(scope);
      const r = plan(scope, o);
      if (q && q.queue.size > 0) {
        const snap = lastSnapshot.get(scope) ?? (await store.snapshot(scope));
        const v = snap ? view(snap) : { remaining: {}, resetAt: clock.now() };
        return { ok: false, waitMs: Number.NaN, limitedBy: undefined, ...v };
      }
      const res = await store.reserve(scope, { amounts: r.charged, capacity: configured(scope) });
      remember(scope, res.snapshot);
      if (res.oversize) throw oversizeError(scope, res, r.charged);
      const v = view(res.snapshot);
      if (!res.ok) return { ok: false, waitMs: res.waitMs, limitedBy: res.limitedBy, ...v };
      r.acquiredAt = clock.now();
      track(r);
      return { ok: true, waitMs: 0, reservation: r, ...v };
    },

    async settle(reservation, usage) {
      const r = reservation as MutableReservation;
      const actual = chargeOf(usage);
      const difference: Amounts = {};
      const next: Amounts = { ...r.charged };
      if (!r.done) {
        for (const d of ['inputTokens', 'outputTokens'] as const) {
          const v = actual[d];
          if (v === undefined) continue;
          difference[d] = v - (r.charged[d] ?? 0);
          next[d] = v;
        }
        next.tokens = (next.inputTokens ?? 0) + (next.outputTokens ?? 0);
        difference.tokens = next.tokens - (r.charged.tokens ?? 0);
        r.charged = next;
      }
      const final = usage.outputTokens !== undefined && !r.done;
      if (final) untrack(r);
      const snap = remember(
        r.scope,
        store.immediate
          ? store.immediate.adjust(r.scope, difference)
          : await store.adjust(r.scope, difference),
      );
      if (final) {
        estimator.observe(r.kind, usage.outputTokens as number);
        backoffOf(r.scope).success();
      }
      if (DIMENSIONS.some((d) => (difference[d] ?? 0) < 0)) kick(r.scope);
      return { difference, snapshot: snap };
    },

    async release(reservation) {
      const r = reservation as MutableReservation;
      if (r.done) return;
      untrack(r);
      const refund = negate(r.charged);
      r.charged = {};
      remember(r.scope, await store.adjust(r.scope, refund));
      kick(r.scope);
    },

    async calibrate(target, headers, opts = {}) {
      const r = typeof target === 'string' ? undefined : (target as MutableReservation);
      const scope = typeof target === 'string' ? target : target.scope;
      const conf = configured(scope);
      const capacity: Amounts = {};
      const targetLevels: Amounts = {};
      let any = false;
      for (const d of DIMENSIONS) {
        if (d === 'tokens' && !options.learnCombinedTokens && conf.tokens === undefined) {
          continue;
        }
        // Only `limit` and `remaining` matter here (not `reset`): read just those two headers.
        const s = serverLimit(headers, d);
        if (!s) continue;
        if (s.limit !== undefined && s.limit > 0) {
          capacity[d] = s.limit;
          any = true;
        }
        if (s.remaining === undefined) continue;
        let offset = 0;
        if (r) {
          const local = r.charged[d] ?? 0;
          const serverCharge =
            opts.serverCharged?.[d] ??
            (d === 'outputTokens' && r.serverOutput !== undefined ? r.serverOutput : local);
          offset = serverCharge - local;
        }
        // The server wrote `remaining` when it admitted the request — at the earliest when we
        // sent it. Credit the refill since then, or every re-sync would discard that refill.
        const cap = s.limit ?? capacityOf(scope, d);
        const credit = r && cap ? (cap / WINDOW_MS) * Math.max(0, clock.now() - r.acquiredAt) : 0;
        // An upper bound of where we should be: our own in-flight requests are not subtracted
        // (the server may or may not have seen them), so a re-sync only lowers a level when the
        // server has less than we would have even if it had seen none of them — capacity that
        // others sharing the key used. It never double-counts our own requests.
        targetLevels[d] = s.remaining + offset + credit;
        any = true;
      }
      if (!any) return undefined;
      const req = { capacity, target: targetLevels };
      return remember(
        scope,
        store.immediate ? store.immediate.sync(scope, req) : await store.sync(scope, req),
      );
    },

    async rateLimited(target, info) {
      const r = typeof target === 'string' ? undefined : (target as MutableReservation);
      const scope = typeof target === 'string' ? target : target.scope;
      // The server did not admit the request: it is no longer in flight, and its capacity is
      // returned only once the scope is paused, so no waiter slips through in between.
      let refund: Amounts = {};
      if (r && !r.done) {
        untrack(r);
        refund = negate(r.charged);
        r.charged = {};
      }
      if (isSpendLimit(info.status ?? 429, info.headers, info.message)) {
        const error = new ProviderSpendLimitError(scope, info.message ?? 'spend limit reached');
        spendLimited.set(scope, error);
        const q = queues.get(scope);
        if (q) for (const w of q.queue.items()) fail(q, w, error);
        remember(scope, await store.adjust(scope, refund));
        return { final: true, error };
      }
      if (info.headers) await limiter.calibrate(scope, info.headers);
      const retryAfterMs = parseRetryAfter(info.headers, clock.now());
      const pauseMs = Math.max(retryAfterMs ?? 0, backoffOf(scope).failure());
      remember(scope, await store.pause(scope, pauseMs));
      remember(scope, await store.adjust(scope, refund));
      kick(scope);
      return { final: false, pauseMs, retryAfterMs };
    },

    async state(scope) {
      const snap = (await store.snapshot(scope)) ?? {
        now: clock.now(),
        pausedUntil: 0,
        buckets: {},
      };
      remember(scope, snap);
      const dimensions: LimiterState['dimensions'] = {};
      for (const d of DIMENSIONS) {
        const b = snap.buckets[d];
        if (!b) continue;
        dimensions[d] = {
          capacity: b.capacity,
          remaining: b.level,
          resetAt: snap.now + msUntilFull({ ...b, updatedAt: snap.now }),
        };
      }
      const q = queues.get(scope);
      let queuedAmounts: Amounts = {};
      for (const w of q?.queue.items() ?? []) queuedAmounts = addAmounts(queuedAmounts, w.amounts);
      return {
        scope,
        now: snap.now,
        pausedUntil: snap.pausedUntil,
        dimensions,
        queued: q?.queue.size ?? 0,
        queuedByTeam: q?.queue.countByTeam() ?? {},
        queuedAmounts,
        inFlight: inFlight.get(scope)?.size ?? 0,
        consecutiveRateLimits: backoffs.get(scope)?.failures ?? 0,
        spendLimited: spendLimited.has(scope),
      };
    },

    clearSpendLimit(scope) {
      spendLimited.delete(scope);
    },

    close() {
      closed = true;
      for (const q of queues.values()) {
        q.cancelTimer?.();
        for (const w of q.queue.items()) fail(q, w, new ClosedError());
      }
    },
  };
  return limiter;
}
