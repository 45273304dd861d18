import { errorMessage, type getHeader } from './calibrate.js';
import type { LimiterError } from './errors.js';
import {
  type FetchLike,
  localTokenCounter,
  type MessagesRequestLike,
  type TokenCounter,
} from './estimate.js';
import { PRIORITIES, type Priority } from './fair-queue.js';
import type { AcquireOptions, Limiter, Reservation } from './limiter.js';
import type { Usage } from './limits.js';
import { scopeOf } from './scope.js';

/** Request headers the wrapper reads (and does not forward) to place a request in the fair queue. */
export const TEAM_HEADER = 'x-baton-team';
export const PRIORITY_HEADER = 'x-baton-priority';

export interface RateLimitedFetchOptions {
  /** The fetch to wrap. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** How input tokens are counted before sending. Default `localTokenCounter()`. */
  counter?: TokenCounter;
  /** The scope of a request. Default: API key × model class. */
  scope?: (request: { apiKey: string | undefined; body: MessagesRequestLike }) => string;
  /** 429s retried here (waiting out the scope's pause) before the response goes back. Default 8. */
  maxRetries?: number;
  /** Extra acquire options per request (team, priority, deadline, …). */
  acquireOptions?: (body: MessagesRequestLike) => Partial<AcquireOptions>;
}

function usageOf(u: unknown): Partial<Usage> {
  const o = (u ?? {}) as Record<string, unknown>;
  const n = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
  const out: Partial<Usage> = {};
  const input = n('input_tokens');
  const output = n('output_tokens');
  const write = n('cache_creation_input_tokens');
  const read = n('cache_read_input_tokens');
  if (input !== undefined) out.inputTokens = input;
  if (output !== undefined) out.outputTokens = output;
  if (write !== undefined) out.cacheCreationInputTokens = write;
  if (read !== undefined) out.cacheReadInputTokens = read;
  return out;
}

function withHeader(res: Response, body: string, name: string, value: string): Response {
  const headers = new Headers(res.headers);
  headers.set(name, value);
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * Settles a streamed response as its events pass by, without buffering: the input usage at
 * `message_start` (then the headers re-sync the buckets), the output at `message_delta`.
 */
function meterStream(
  body: ReadableStream<Uint8Array>,
  onStart: (usage: Partial<Usage>) => void,
  onOutput: (usage: Partial<Usage>) => void,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  const line = (l: string) => {
    if (!l.startsWith('data:')) return;
    const data = l.slice(5).trim();
    if (!data.startsWith('{')) return;
    let ev: { type?: string; message?: { usage?: unknown }; usage?: unknown };
    try {
      ev = JSON.parse(data);
    } catch {
      return;
    }
    if (ev.type === 'message_start') {
      const u = usageOf(ev.message?.usage);
      delete u.outputTokens;
      onStart(u);
    } else if (ev.type === 'message_delta') {
      const u = usageOf(ev.usage);
      if (u.outputTokens !== undefined) onOutput(u);
    } else if (ev.type === 'message_stop') {
      end();
    }
  };
  const scan = (flush: boolean) => {
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      line(buffer.slice(0, i).replace(/\r$/, ''));
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf('\n');
    }
    if (flush && buffer) {
      line(buffer);
      buffer = '';
    }
  };
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          buffer += decoder.decode();
          scan(true);
          end();
          controller.close();
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        scan(false);
        controller.enqueue(value);
      } catch (e) {
        end();
        controller.error(e);
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  });
}

/**
 * A `fetch` that rate-limits Anthropic Messages API calls: pass it to the SDK
 * (`new Anthropic({ fetch: rateLimitedFetch(limiter) })`). Each `POST /v1/messages` is counted,
 * reserved (waiting fairly), sent, then settled from the response's usage — for streams as the
 * events pass — and the buckets re-synced from its headers. 429s pause the scope and are
 * retried here; a spend-limit 429 is final (`x-should-retry: false`). Other calls pass through.
 */
export function rateLimitedFetch(
  limiter: Limiter,
  options: RateLimitedFetchOptions = {},
): FetchLike {
  const inner: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const counter = options.counter ?? localTokenCounter();
  const maxRetries = options.maxRetries ?? 8;

  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = request ? request.url : String(input);
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const path = new URL(url, 'http://x').pathname;
    if (method !== 'POST' || !path.endsWith('/v1/messages')) return inner(input, init);

    const rawBody =
      typeof init?.body === 'string'
        ? init.body
        : request
          ? await request.clone().text()
          : undefined;
    let body: MessagesRequestLike | undefined;
    try {
      body = rawBody ? (JSON.parse(rawBody) as MessagesRequestLike) : undefined;
    } catch {
      body = undefined;
    }
    if (!body || typeof body.model !== 'string') return inner(input, init);

    const headers = new Headers(init?.headers ?? request?.headers);
    const team = headers.get(TEAM_HEADER) ?? undefined;
    const priorityRaw = headers.get(PRIORITY_HEADER) ?? undefined;
    headers.delete(TEAM_HEADER);
    headers.delete(PRIORITY_HEADER);
    const priority = PRIORITIES.includes(priorityRaw as Priority)
      ? (priorityRaw as Priority)
      : undefined;
    const apiKey =
      headers.get('x-api-key') ??
      headers.get('authorization')?.replace(/^Bearer\s+/i, '') ??
      undefined;
    const scope = options.scope ? options.scope({ apiKey, body }) : scopeOf(apiKey, body.model);
    const signal = init?.signal ?? request?.signal ?? undefined;
    const forward: RequestInit = { ...init, method, headers, body: rawBody ?? null };
    if (signal) forward.signal = signal;

    const inputTokens = await counter.count(body, signal ? { signal } : undefined);
    const acquireOptions: AcquireOptions = {
      inputTokens,
      kind: body.model,
      ...(typeof body.max_tokens === 'number' ? { maxTokens: body.max_tokens } : {}),
      ...(team !== undefined ? { team } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(signal ? { signal } : {}),
      ...options.acquireOptions?.(body),
    };

    for (let attempt = 0; ; attempt++) {
      const reservation = await limiter.acquire(scope, acquireOptions);
      let res: Response;
      try {
        res = await inner(url, forward);
      } catch (e) {
        // Unknown whether the server admitted it: keep the reservation charged as it is.
        await keepCharged(limiter, reservation);
        throw e;
      }
      if (res.status === 429) {
        const text = await res.text();
        const outcome = await limiter.rateLimited(reservation, {
          headers: res.headers,
          message: errorMessage(text) ?? text,
          status: 429,
        });
        if (outcome.final || attempt >= maxRetries) {
          return withHeader(res, text, 'x-should-retry', 'false');
        }
        continue;
      }
      if (!res.ok) {
        await limiter.release(reservation);
        await limiter.calibrate(scope, res.headers).catch(() => undefined);
        return res;
      }
      const type = res.headers.get('content-type') ?? '';
      if (type.includes('text/event-stream') && res.body) {
        const failed = (e: unknown) => void e;
        const metered = meterStream(
          res.body,
          (usage) => {
            void limiter
              .settle(reservation, usage)
              .then(() => limiter.calibrate(reservation, res.headers))
              .catch(failed);
          },
          (usage) => {
            void limiter.settle(reservation, usage).catch(failed);
          },
          () => {
            if (!reservation.done) void keepCharged(limiter, reservation).catch(failed);
          },
        );
        return new Response(metered, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      }
      try {
        const json = (await res.clone().json()) as { usage?: unknown };
        await limiter.settle(reservation, usageOf(json.usage));
      } catch {
        await keepCharged(limiter, reservation);
      }
      await limiter.calibrate(reservation, res.headers);
      return res;
    }
  };
}

async function keepCharged(limiter: Limiter, r: Reservation): Promise<void> {
  if (r.done) return;
  await limiter.settle(r, {
    inputTokens: r.charged.inputTokens ?? 0,
    outputTokens: r.charged.outputTokens ?? 0,
  });
}

/** Anything thrown by an SDK call that carries an HTTP status (the SDK's `APIError`). */
interface HttpErrorLike {
  status?: number;
  headers?: unknown;
  message?: string;
  error?: unknown;
}

/**
 * Runs `fn` under the limiter: acquire, call, settle from the result's `usage` (an Anthropic
 * Message) or keep the reservation as charged. A 429 thrown by `fn` pauses the scope; a spend-limit
 * 429 becomes a `ProviderSpendLimitError`.
 */
export async function withRateLimit<T>(
  limiter: Limiter,
  scope: string,
  options: AcquireOptions,
  fn: (reservation: Reservation) => Promise<T>,
): Promise<T> {
  const reservation = await limiter.acquire(scope, options);
  let result: T;
  try {
    result = await fn(reservation);
  } catch (e) {
    const err = e as HttpErrorLike;
    if (err?.status === 429) {
      const headers = err.headers as Parameters<typeof getHeader>[0];
      const outcome = await limiter.rateLimited(reservation, {
        ...(headers ? { headers } : {}),
        message: errorMessage(err.error) ?? err.message ?? '',
        status: 429,
      });
      if (outcome.final) throw outcome.error as LimiterError;
    } else if (typeof err?.status === 'number') {
      await limiter.release(reservation);
    } else {
      await keepCharged(limiter, reservation);
    }
    throw e;
  }
  const usage = (result as { usage?: unknown } | undefined)?.usage;
  if (usage && typeof usage === 'object') await limiter.settle(reservation, usageOf(usage));
  else await keepCharged(limiter, reservation);
  return result;
}
