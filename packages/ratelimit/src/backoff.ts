export interface BackoffOptions {
  /** Delay after the first rate-limit error. Default 1 s. */
  baseMs?: number;
  /** Upper bound of any delay. Default 10 minutes. */
  maxMs?: number;
  /** Relative jitter: ±0.05 = ±5 %. Default 0.05. */
  jitter?: number;
  /** Source of randomness in [0, 1). Default Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 1000, maxMs: 600_000, jitter: 0.05 } as const;

/** Exponential delay for the n-th consecutive failure (n ≥ 1) with ±jitter, never above maxMs. */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  if (failures <= 0) return 0;
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
  const random = options.random ?? Math.random;
  const raw = Math.min(max, base * 2 ** Math.min(failures - 1, 52));
  const jittered = raw * (1 + jitter * (2 * random() - 1));
  return Math.min(max, Math.max(0, jittered));
}

/**
 * Consecutive-failure state of one scope: each rate-limit error doubles the next delay; each
 * success relaxes it by one step, so a recovering scope returns to full speed gradually.
 */
export interface Backoff {
  /** Records a failure and returns the delay to apply. */
  failure(): number;
  /** Records a success (relaxes by one step). */
  success(): void;
  readonly failures: number;
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  let failures = 0;
  return {
    failure() {
      failures += 1;
      return backoffDelay(failures, options);
    },
    success() {
      if (failures > 0) failures -= 1;
    },
    get failures() {
      return failures;
    },
  };
}
