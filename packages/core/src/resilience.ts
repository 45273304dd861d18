import { DelegateBackoff, handleWhen, type IRetryBackoffContext, retry } from 'cockatiel';
import { type Breaker, type BreakerRegistry, isBreakerRejection } from './breaker.js';
import {
  AbortError,
  BatonError,
  type ErrorCode,
  isAbort,
  ServiceUnavailableError,
} from './errors.js';
import { type BatonEvent, toEventError } from './events.js';
import { retryDelayMs, type Strategies } from './strategy.js';

export interface AttemptContext {
  /** The model this attempt calls. */
  model: string;
  /** 0 for the first attempt on this model. */
  attempt: number;
  /** The error of the previous attempt on this model: recover from it first (e.g. compact). */
  previousError: BatonError | undefined;
  signal: AbortSignal | undefined;
}

export interface RecoveryOptions {
  provider: string;
  /** The primary model first, then its fallbacks in order. */
  models: readonly string[];
  strategies: Strategies;
  breakers: BreakerRegistry;
  emit: (event: BatonEvent) => void;
  signal?: AbortSignal | undefined;
  random?: () => number;
}

/** Sleeps `ms`, or rejects with AbortError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError(signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The attempts after a failed first one on a model, under cockatiel's retry policy: rethrows
 * `first` when the strategies do not retry it. Every retry is an event; its delay is slept
 * (abortably) at the start of the next attempt.
 */
async function retryAfterFirst<T>(
  first: unknown,
  model: string,
  breaker: Breaker,
  options: RecoveryOptions,
  random: () => number,
  fn: (ctx: AttemptContext) => Promise<T>,
): Promise<T> {
  const { strategies, emit, signal } = options;
  const counts = new Map<ErrorCode, number>();
  let previousError: BatonError | undefined;
  let pendingDelay = 0;
  let retries = 0;
  /** Whether the strategies retry this error (counting it). */
  const retryable = (e: unknown): boolean => {
    if (!(e instanceof BatonError)) return false;
    const s = strategies[e.code];
    if (!s.retryable) return false;
    const n = (counts.get(e.code) ?? 0) + 1;
    counts.set(e.code, n);
    return n < s.attempts;
  };
  /** A retry is decided: its delay and its event. */
  const retrying = (err: BatonError) => {
    previousError = err;
    const s = strategies[err.code];
    pendingDelay = retryDelayMs(s, counts.get(err.code) ?? 1, err, random);
    retries++;
    emit({
      type: 'retry',
      attempt: retries,
      delayMs: pendingDelay,
      model,
      error: toEventError(err),
    });
  };
  if (!retryable(first)) throw first;
  retrying(first as BatonError);
  // A timer turn before the retry, as cockatiel takes between its own attempts: retry timing
  // stays what it was when the first attempt also ran inside the policy.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  const policy = retry(handleWhen(retryable), {
    maxAttempts: 1_000,
    // The delay is computed here but slept (abortably) at the start of the next attempt:
    // cockatiel's own delay cannot be cancelled.
    backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => {
      if ('error' in ctx.result) retrying(ctx.result.error as BatonError);
      return 0;
    }),
  });
  return policy.execute(async ({ attempt }) => {
    if (pendingDelay > 0) {
      const d = pendingDelay;
      pendingDelay = 0;
      await sleep(d, signal);
    }
    if (signal?.aborted) throw new AbortError(signal.reason);
    return breaker.execute(
      () => fn({ model, attempt: attempt + 1, previousError, signal }),
      signal,
    );
  }, signal);
}

/**
 * An error from inside an attempt that is not the provider's (e.g. a caller's hook): no retry,
 * no breaker count, no fallback — `withRecovery` ends with `error` itself at once.
 */
export class Unrecoverable extends Error {
  constructor(readonly error: unknown) {
    super('unrecoverable', { cause: error });
  }
}

/** For `.catch`: rethrows `error` as `Unrecoverable`. */
export function unrecoverable(error: unknown): never {
  throw new Unrecoverable(error);
}

/**
 * Runs `fn` with the error strategies (cockatiel retry), a circuit breaker per model (cockatiel
 * circuit breaker) and the fallback chain: a model whose breaker is open, or that stays
 * overloaded after its retries, hands over to the next model. Every retry, fallback and breaker
 * change is emitted as an event.
 */
export async function withRecovery<T>(
  options: RecoveryOptions,
  fn: (ctx: AttemptContext) => Promise<T>,
): Promise<{ value: T; model: string }> {
  const { provider, models, strategies, breakers, emit, signal } = options;
  const random = options.random ?? Math.random;
  if (models.length === 0) throw new RangeError('withRecovery: no model');
  const unsubscribe = breakers.subscribe((e) => {
    if (e.provider === provider && models.includes(e.model)) emit({ type: 'breaker', ...e });
  });
  try {
    for (let i = 0; i < models.length; i++) {
      const model = models[i] as string;
      const next = models[i + 1];
      const breaker = breakers.get(provider, model);
      if (breaker.rejecting && next !== undefined) {
        emit({ type: 'fallback', from: model, to: next, reason: 'breaker-open' });
        continue;
      }
      try {
        // The first attempt runs without a retry policy: most calls succeed, and building
        // cockatiel's policy (its closures, state and extra async layers) per request costs more
        // than the call's own bookkeeping. Only a retryable failure brings the policy in, for
        // the attempts after it.
        if (signal?.aborted) throw new AbortError(signal.reason);
        let value: T;
        try {
          value = await breaker.execute(
            () => fn({ model, attempt: 0, previousError: undefined, signal }),
            signal,
          );
        } catch (e) {
          if (signal?.aborted && !(e instanceof Unrecoverable)) throw e;
          value = await retryAfterFirst(e, model, breaker, options, random, fn);
        }
        return { value, model };
      } catch (e) {
        if (e instanceof Unrecoverable) throw e.error;
        if (isAbort(e) || signal?.aborted) throw e instanceof AbortError ? e : new AbortError(e);
        if (isBreakerRejection(e)) {
          if (next !== undefined) {
            emit({ type: 'fallback', from: model, to: next, reason: 'breaker-open' });
            continue;
          }
          throw new ServiceUnavailableError(
            `circuit open for ${provider}/${model}: calls are refused until it half-opens`,
            { model, cause: e },
          );
        }
        if (
          e instanceof BatonError &&
          next !== undefined &&
          strategies[e.code].recovery === 'fallback-model'
        ) {
          emit({ type: 'fallback', from: model, to: next, reason: e.code });
          continue;
        }
        throw e;
      }
    }
    throw new ServiceUnavailableError(
      `every model of the chain is unavailable: ${models.join(' → ')}`,
    );
  } finally {
    unsubscribe();
  }
}
