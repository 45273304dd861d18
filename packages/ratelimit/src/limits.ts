/** The dimensions a rate limit can have. `tokens` is a combined input+output budget (some providers). */
export const DIMENSIONS = ['requests', 'inputTokens', 'outputTokens', 'tokens'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** An amount per dimension; a missing dimension is zero (or, for a capacity, unlimited). */
export type Amounts = Partial<Record<Dimension, number>>;

/** Per-minute limits of one scope, as providers publish them. Omitted = not limited (until learned). */
export interface Limits {
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  outputTokensPerMinute?: number;
  /** A combined input+output token limit, for providers that use one. */
  tokensPerMinute?: number;
}

/** Buckets refill their whole capacity over this window (limits are per minute). */
export const WINDOW_MS = 60_000;

/** Bucket capacities for a set of limits. */
export function capacitiesOf(limits: Limits): Amounts {
  const c: Amounts = {};
  if (limits.requestsPerMinute !== undefined) c.requests = limits.requestsPerMinute;
  if (limits.inputTokensPerMinute !== undefined) c.inputTokens = limits.inputTokensPerMinute;
  if (limits.outputTokensPerMinute !== undefined) c.outputTokens = limits.outputTokensPerMinute;
  if (limits.tokensPerMinute !== undefined) c.tokens = limits.tokensPerMinute;
  for (const d of DIMENSIONS) {
    const v = c[d];
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) {
      throw new RangeError(`limit for ${d} must be a positive finite number, got ${v}`);
    }
  }
  return c;
}

/** Token usage as the Messages API reports it. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
}

/**
 * What a request costs against the limits, counted as Anthropic counts it: uncached input plus
 * cache writes count toward input tokens; cache reads are exempt.
 */
export function chargeOf(usage: Partial<Usage>): Amounts {
  const a: Amounts = {};
  if (usage.inputTokens !== undefined) {
    a.inputTokens = usage.inputTokens + (usage.cacheCreationInputTokens ?? 0);
  }
  if (usage.outputTokens !== undefined) a.outputTokens = usage.outputTokens;
  return a;
}

/** The amounts of a request: one request, its input and output, and their sum for `tokens`. */
export function requestAmounts(inputTokens: number, outputTokens: number): Amounts {
  return {
    requests: 1,
    inputTokens,
    outputTokens,
    tokens: inputTokens + outputTokens,
  };
}
