import type { ModelClass } from './models.js';

/** Per-minute limits of one model class. */
export interface ClassLimits {
  /** Requests per minute. */
  rpm: number;
  /** Input tokens per minute (uncached input + cache writes; cache reads are exempt). */
  itpm: number;
  /** Output tokens per minute. */
  otpm: number;
}

export interface LimitsConfig extends Partial<ClassLimits> {
  /** Overrides for one model class (e.g. `{ opus: { rpm: 50 } }`). */
  perClass?: Partial<Record<ModelClass, Partial<ClassLimits>>>;
}

/** Generous defaults so a demo never throttles: 4,000 RPM, 2,000,000 ITPM, 400,000 OTPM per class. */
export const DEFAULT_LIMITS: ClassLimits = { rpm: 4000, itpm: 2_000_000, otpm: 400_000 };

export function resolveLimits(cfg: LimitsConfig | undefined, cls: ModelClass): ClassLimits {
  const o = cfg?.perClass?.[cls];
  return {
    rpm: o?.rpm ?? cfg?.rpm ?? DEFAULT_LIMITS.rpm,
    itpm: o?.itpm ?? cfg?.itpm ?? DEFAULT_LIMITS.itpm,
    otpm: o?.otpm ?? cfg?.otpm ?? DEFAULT_LIMITS.otpm,
  };
}

/** A token bucket: capacity = the per-minute limit, refilled continuously at limit/60 s. */
export class TokenBucket {
  capacity: number;
  private ratePerMs: number;
  private level: number;
  private last: number;

  constructor(capacity: number, now: number) {
    this.capacity = capacity;
    this.ratePerMs = capacity / 60_000;
    this.level = capacity;
    this.last = now;
  }

  /** Applies a new limit, keeping the fraction used. */
  resize(capacity: number, now: number): void {
    if (capacity === this.capacity) return;
    this.refill(now);
    const used = this.capacity - this.level;
    this.capacity = capacity;
    this.ratePerMs = capacity / 60_000;
    this.level = Math.max(0, capacity - used);
  }

  refill(now: number): void {
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
  }

  available(now: number): number {
    this.refill(now);
    return this.level;
  }

  /** Milliseconds until `n` is available (0 when it already is). */
  waitMs(n: number, now: number): number {
    this.refill(now);
    const need = Math.min(n, this.capacity) - this.level;
    return need <= 0 ? 0 : need / this.ratePerMs;
  }

  take(n: number): void {
    this.level -= n;
  }

  /** Gives back tokens (never above capacity). */
  give(n: number): void {
    this.level = Math.min(this.capacity, this.level + n);
  }

  /** Milliseconds until the bucket is full again. */
  fullInMs(now: number): number {
    this.refill(now);
    return (this.capacity - this.level) / this.ratePerMs;
  }
}

export interface Buckets {
  requests: TokenBucket;
  input: TokenBucket;
  output: TokenBucket;
}

export type Admission =
  | { ok: true; buckets: Buckets; outputCharged: number }
  | {
      ok: false;
      buckets: Buckets;
      retryAfterSec: number;
      limited: 'requests' | 'input' | 'output';
    };

/**
 * Per API key × model class limiter with three continuously refilling buckets.
 *
 * OTPM is charged on admission with the request's `max_tokens` (capped at the bucket's
 * capacity so one large `max_tokens` can still be admitted), then adjusted to the actual output
 * when the response completes — the way Anthropic estimates OTPM from `max_tokens` up front.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Buckets>();
  private config: LimitsConfig | undefined;

  constructor(config?: LimitsConfig) {
    this.config = config;
  }

  setConfig(config: LimitsConfig | undefined, now: number): void {
    this.config = config;
    for (const [key, b] of this.buckets) {
      const cls = key.slice(key.lastIndexOf('\u0000') + 1) as ModelClass;
      const l = resolveLimits(config, cls);
      b.requests.resize(l.rpm, now);
      b.input.resize(l.itpm, now);
      b.output.resize(l.otpm, now);
    }
  }

  reset(): void {
    this.buckets.clear();
  }

  get(apiKey: string, cls: ModelClass, now: number): Buckets {
    const key = `${apiKey}\u0000${cls}`;
    let b = this.buckets.get(key);
    if (!b) {
      const l = resolveLimits(this.config, cls);
      b = {
        requests: new TokenBucket(l.rpm, now),
        input: new TokenBucket(l.itpm, now),
        output: new TokenBucket(l.otpm, now),
      };
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Admits (and charges) a request or tells how long to wait. */
  admit(
    apiKey: string,
    cls: ModelClass,
    inputTokens: number,
    maxTokens: number,
    now: number,
  ): Admission {
    const buckets = this.get(apiKey, cls, now);
    const outputCharged = Math.min(maxTokens, buckets.output.capacity);
    const inputCharged = Math.min(inputTokens, buckets.input.capacity);
    const wr = buckets.requests.waitMs(1, now);
    const wi = buckets.input.waitMs(inputCharged, now);
    const wo = buckets.output.waitMs(outputCharged, now);
    if (wr > 0 || wi > 0 || wo > 0) {
      const max = Math.max(wr, wi, wo);
      const limited = max === wr ? 'requests' : max === wi ? 'input' : 'output';
      return { ok: false, buckets, retryAfterSec: Math.max(1, Math.ceil(max / 1000)), limited };
    }
    buckets.requests.take(1);
    buckets.input.take(inputTokens);
    buckets.output.take(outputCharged);
    return { ok: true, buckets, outputCharged };
  }

  /** Adjusts the output charge once the actual output is known. */
  settle(buckets: Buckets, outputCharged: number, actualOutput: number): void {
    if (actualOutput < outputCharged) buckets.output.give(outputCharged - actualOutput);
    else if (actualOutput > outputCharged) buckets.output.take(actualOutput - outputCharged);
  }
}

const rfcCache = new Map<number, string>();

/** RFC 3339 at whole seconds (rounded up); memoised since many requests share a second. */
function rfc3339(ms: number): string {
  const sec = Math.ceil(ms / 1000);
  let s = rfcCache.get(sec);
  if (s === undefined) {
    if (rfcCache.size > 256) rfcCache.clear();
    s = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
    rfcCache.set(sec, s);
  }
  return s;
}

/** `anthropic-ratelimit-*` headers describing the buckets' state. */
export function rateLimitHeaders(b: Buckets, now: number, out: Record<string, string>): void {
  const put = (name: string, bucket: TokenBucket) => {
    out[`anthropic-ratelimit-${name}-limit`] = String(bucket.capacity);
    out[`anthropic-ratelimit-${name}-remaining`] = String(
      Math.max(0, Math.floor(bucket.available(now))),
    );
    out[`anthropic-ratelimit-${name}-reset`] = rfc3339(now + bucket.fullInMs(now));
  };
  put('requests', b.requests);
  put('input-tokens', b.input);
  put('output-tokens', b.output);
  // `tokens-*` reports the most restrictive of the input and output limits in effect.
  const ri = b.input.available(now) / b.input.capacity;
  const ro = b.output.available(now) / b.output.capacity;
  put('tokens', ri <= ro ? b.input : b.output);
}
