import type { Dimension } from './limits.js';

/** Headers as `fetch` gives them, or as a plain record (Node's `IncomingHttpHeaders`). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | number | undefined>;

export function getHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | number | undefined>;
  let v = rec[name] ?? rec[name.toLowerCase()];
  if (v === undefined) {
    const lower = name.toLowerCase();
    for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) v = rec[k];
  }
  if (Array.isArray(v)) return v[0];
  return v === undefined ? undefined : String(v);
}

/** One dimension as the server reports it. */
export interface ServerLimit {
  limit?: number;
  remaining?: number;
  /** When the bucket is full again (ms since epoch). */
  resetAt?: number;
}

const HEADER_NAMES: Record<Dimension, string> = {
  requests: 'requests',
  inputTokens: 'input-tokens',
  outputTokens: 'output-tokens',
  tokens: 'tokens',
};

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Reads `anthropic-ratelimit-{requests,input-tokens,output-tokens,tokens}-{limit,remaining,reset}`
 * (reset is RFC 3339). Dimensions without headers are absent.
 */
export function parseRateLimitHeaders(
  headers: HeadersLike | undefined,
): Partial<Record<Dimension, ServerLimit>> {
  const out: Partial<Record<Dimension, ServerLimit>> = {};
  for (const [dim, name] of Object.entries(HEADER_NAMES) as Array<[Dimension, string]>) {
    const prefix = `anthropic-ratelimit-${name}-`;
    const limit = num(getHeader(headers, `${prefix}limit`));
    const remaining = num(getHeader(headers, `${prefix}remaining`));
    const resetRaw = getHeader(headers, `${prefix}reset`);
    const resetMs = resetRaw ? Date.parse(resetRaw) : Number.NaN;
    if (limit === undefined && remaining === undefined && Number.isNaN(resetMs)) continue;
    const s: ServerLimit = {};
    if (limit !== undefined) s.limit = limit;
    if (remaining !== undefined) s.remaining = remaining;
    if (!Number.isNaN(resetMs)) s.resetAt = resetMs;
    out[dim] = s;
  }
  return out;
}

/** `retry-after` in milliseconds (seconds, or an HTTP date relative to `now`); undefined if absent. */
export function parseRetryAfter(headers: HeadersLike | undefined, now: number): number | undefined {
  const ms = num(getHeader(headers, 'retry-after-ms'));
  if (ms !== undefined) return ms;
  const v = getHeader(headers, 'retry-after');
  if (v === undefined) return undefined;
  const s = num(v);
  if (s !== undefined) return s * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const SPEND_LIMIT = /spend(ing)? limit|usage limit|credit balance|billing|quota|monthly limit/i;

/**
 * A 429 that is final: no `retry-after`, and the message says a spend/usage limit is reached
 * (e.g. "You have reached your specified API usage limits"). Retrying cannot help.
 */
export function isSpendLimit(
  status: number,
  headers: HeadersLike | undefined,
  message: string | undefined,
): boolean {
  if (status !== 429) return false;
  if (getHeader(headers, 'retry-after') !== undefined) return false;
  return message !== undefined && SPEND_LIMIT.test(message);
}

/** The `error.message` of an Anthropic error body (JSON text or parsed). */
export function errorMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return b as string;
    }
  }
  const m = (b as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === 'string' ? m : undefined;
}
