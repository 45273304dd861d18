import type { Dimension } from './limits.js';

export type LimiterErrorCode =
  | 'oversize'
  | 'aborted'
  | 'deadline'
  | 'spend_limit'
  | 'rate_limited'
  | 'closed';

/** Base class of every error this package throws; switch on `code`. */
export class LimiterError extends Error {
  readonly code: LimiterErrorCode;
  constructor(code: LimiterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LimiterError';
    this.code = code;
  }
}

/** The request needs more than a bucket can ever hold: it can never be sent as it is. */
export class OversizeError extends LimiterError {
  readonly dimension: Dimension;
  readonly requested: number;
  readonly capacity: number;
  constructor(scope: string, dimension: Dimension, requested: number, capacity: number) {
    super(
      'oversize',
      `request needs ${requested} ${dimension} but the ${scope} limit holds at most ${capacity} per minute; it can never be sent — split it or reduce it`,
    );
    this.name = 'OversizeError';
    this.dimension = dimension;
    this.requested = requested;
    this.capacity = capacity;
  }
}

/** The wait was cancelled through its AbortSignal. */
export class AbortedError extends LimiterError {
  constructor(reason?: unknown) {
    super('aborted', 'waiting for rate-limit capacity was aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/** The capacity would not be available before the request's deadline. */
export class DeadlineError extends LimiterError {
  readonly deadline: number;
  constructor(deadline: number, availableAt: number) {
    super(
      'deadline',
      `rate-limit capacity is not available before the deadline (${new Date(deadline).toISOString()}; earliest ${Number.isFinite(availableAt) ? new Date(availableAt).toISOString() : 'never'})`,
    );
    this.name = 'DeadlineError';
    this.deadline = deadline;
  }
}

/**
 * A 429 without `retry-after` saying the spend (usage) limit is reached: final, never retried.
 * Every later request on the scope fails with it until `limiter.clearSpendLimit(scope)`.
 */
export class ProviderSpendLimitError extends LimiterError {
  readonly scope: string;
  constructor(scope: string, message: string) {
    super('spend_limit', `spend limit reached for ${scope}: ${message}`);
    this.name = 'ProviderSpendLimitError';
    this.scope = scope;
  }
}

/** The server kept answering 429 after every retry the caller allowed. */
export class RateLimitedError extends LimiterError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined) {
    super('rate_limited', message);
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** The limiter was closed while the request waited. */
export class ClosedError extends LimiterError {
  constructor() {
    super('closed', 'the rate limiter was closed');
    this.name = 'ClosedError';
  }
}
