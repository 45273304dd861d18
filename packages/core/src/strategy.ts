import type { BatonError, ErrorCode } from './errors.js';

/** What to do before trying again. */
export type RecoveryAction =
  /** Wait until the provider's reset time (retry-after / rate-limit reset headers), then retry. */
  | 'wait-reset'
  /** Move to the next model of the fallback chain (after the strategy's own retries). */
  | 'fallback-model'
  /** Compress the conversation, then retry. */
  | 'compact-context'
  /** Open a new connection and retry. */
  | 'reconnect'
  /** Start a new process (Claude Code) and retry. */
  | 'respawn'
  /** Retry after a backoff. */
  | 'retry'
  /** Never retry: the same request cannot succeed. */
  | 'fail-fast';

export interface RetryStrategy {
  /** Total attempts on one model, the first included (1 = no retry). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** Fraction of the delay randomised (0 = none, 0.2 = ±20%). */
  jitter: number;
  retryable: boolean;
  recovery: RecoveryAction;
}

export type Strategies = Record<ErrorCode, RetryStrategy>;
export type StrategyOverrides = Partial<Record<ErrorCode, Partial<RetryStrategy>>>;

const failFast = (): RetryStrategy => ({
  attempts: 1,
  baseDelayMs: 0,
  maxDelayMs: 0,
  multiplier: 1,
  jitter: 0,
  retryable: false,
  recovery: 'fail-fast',
});

export const DEFAULT_STRATEGIES: Readonly<Strategies> = Object.freeze({
  RateLimit: {
    attempts: 5,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    multiplier: 2,
    jitter: 0.1,
    retryable: true,
    recovery: 'wait-reset',
  },
  NetworkTimeout: {
    attempts: 3,
    baseDelayMs: 500,
    maxDelayMs: 8_000,
    multiplier: 2,
    jitter: 0.2,
    retryable: true,
    recovery: 'reconnect',
  },
  ServiceUnavailable: {
    attempts: 3,
    baseDelayMs: 1_000,
    maxDelayMs: 16_000,
    multiplier: 2,
    jitter: 0.2,
    retryable: true,
    recovery: 'retry',
  },
  ModelOverloaded: {
    attempts: 2,
    baseDelayMs: 1_000,
    maxDelayMs: 8_000,
    multiplier: 2,
    jitter: 0.2,
    retryable: true,
    recovery: 'fallback-model',
  },
  ContextTooLarge: {
    attempts: 2,
    baseDelayMs: 0,
    maxDelayMs: 0,
    multiplier: 1,
    jitter: 0,
    retryable: true,
    recovery: 'compact-context',
  },
  SessionTimeout: {
    attempts: 2,
    baseDelayMs: 500,
    maxDelayMs: 5_000,
    multiplier: 2,
    jitter: 0.2,
    retryable: true,
    recovery: 'respawn',
  },
  Unknown: {
    attempts: 2,
    baseDelayMs: 1_000,
    maxDelayMs: 4_000,
    multiplier: 2,
    jitter: 0.2,
    retryable: true,
    recovery: 'retry',
  },
  AuthenticationFailure: failFast(),
  InvalidRequest: failFast(),
  SpendLimit: failFast(),
  CliNotFound: failFast(),
  ResourceLimit: failFast(),
  SandboxUnavailable: failFast(),
});

/** The default strategies with overrides applied (validated). */
export function resolveStrategies(overrides: StrategyOverrides = {}): Strategies {
  const out = {} as Strategies;
  for (const code of Object.keys(DEFAULT_STRATEGIES) as ErrorCode[]) {
    const s = { ...DEFAULT_STRATEGIES[code], ...overrides[code] };
    if (!Number.isInteger(s.attempts) || s.attempts < 1)
      throw new RangeError(`strategies.${code}.attempts must be an integer ≥ 1`);
    if (s.baseDelayMs < 0 || s.maxDelayMs < 0 || s.multiplier < 1 || s.jitter < 0 || s.jitter > 1)
      throw new RangeError(
        `strategies.${code}: delays must be ≥ 0, multiplier ≥ 1 and jitter within [0, 1]`,
      );
    if (!s.retryable) s.attempts = 1;
    out[code] = s;
  }
  return out;
}

/**
 * The delay before retry number `retry` (1 = the first retry): exponential backoff with jitter,
 * capped; on `wait-reset` at least the time the provider asked for (also capped).
 */
export function retryDelayMs(
  strategy: RetryStrategy,
  retry: number,
  error: BatonError | undefined,
  random: () => number = Math.random,
): number {
  const exp = strategy.baseDelayMs * strategy.multiplier ** Math.max(0, retry - 1);
  let d = Math.min(strategy.maxDelayMs, exp);
  if (strategy.jitter > 0 && d > 0) d *= 1 - strategy.jitter + 2 * strategy.jitter * random();
  if (strategy.recovery === 'wait-reset' || error?.retryAfterMs !== undefined) {
    const wait = error?.retryAfterMs;
    if (wait !== undefined) d = Math.max(d, Math.min(wait, strategy.maxDelayMs));
  }
  return Math.max(0, Math.round(d));
}
