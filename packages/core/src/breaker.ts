import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
  SamplingBreaker,
} from 'cockatiel';
import { BatonError, type ErrorCode } from './errors.js';
import type { BreakerState } from './events.js';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit (ignored with `sampling`). Default 5. */
  failureThreshold?: number;
  /** Successful half-open calls that close it again. Default 2. */
  successThreshold?: number;
  /** How long the circuit stays open before a half-open trial. Default 30 000 ms. */
  openTimeoutMs?: number;
  /** Open on a failure rate instead of a consecutive count. */
  sampling?: { threshold: number; durationMs: number; minimumRps?: number };
  /** The error codes that count as a model/provider failure. */
  failureCodes?: readonly ErrorCode[];
}

export const DEFAULT_BREAKER_FAILURE_CODES: readonly ErrorCode[] = [
  'ModelOverloaded',
  'ServiceUnavailable',
  'NetworkTimeout',
];

export interface BreakerEvent {
  provider: string;
  model: string;
  state: BreakerState;
}

export interface Breaker {
  readonly provider: string;
  readonly model: string;
  readonly state: BreakerState;
  /** True when a call now would be rejected without being made. */
  readonly rejecting: boolean;
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface BreakerRegistry {
  /** The breaker of a provider and model (created on first use). */
  get(provider: string, model: string): Breaker;
  /** Every breaker state change; returns an unsubscribe function. */
  subscribe(listener: (e: BreakerEvent) => void): () => void;
  states(): BreakerEvent[];
}

function stateName(s: CircuitState): BreakerState {
  switch (s) {
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Isolated:
      return 'isolated';
    default:
      return 'closed';
  }
}

/** An open circuit refused the call (the model was not called). */
export function isBreakerRejection(err: unknown): boolean {
  return err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError;
}

/**
 * Circuit breakers per provider and model (cockatiel): closed → open after the failure
 * threshold → half-open after the open timeout → closed after `successThreshold` successes (any
 * half-open failure opens it again).
 */
export function createBreakerRegistry(options: BreakerOptions = {}): BreakerRegistry {
  const failureThreshold = options.failureThreshold ?? 5;
  const successThreshold = options.successThreshold ?? 2;
  const openTimeoutMs = options.openTimeoutMs ?? 30_000;
  const codes = new Set(options.failureCodes ?? DEFAULT_BREAKER_FAILURE_CODES);
  if (!(failureThreshold >= 1)) throw new RangeError('breaker.failureThreshold must be ≥ 1');
  if (!(successThreshold >= 1)) throw new RangeError('breaker.successThreshold must be ≥ 1');
  if (!(openTimeoutMs >= 0)) throw new RangeError('breaker.openTimeoutMs must be ≥ 0');
  const listeners = new Set<(e: BreakerEvent) => void>();
  const breakers = new Map<string, Breaker>();
  const policy = handleWhen((e) => e instanceof BatonError && codes.has(e.code));

  const make = (provider: string, model: string): Breaker => {
    const cb: CircuitBreakerPolicy = circuitBreaker(policy, {
      breaker: options.sampling
        ? new SamplingBreaker({
            threshold: options.sampling.threshold,
            duration: options.sampling.durationMs,
            ...(options.sampling.minimumRps !== undefined
              ? { minimumRps: options.sampling.minimumRps }
              : {}),
          })
        : new ConsecutiveBreaker(failureThreshold),
      halfOpenAfter: openTimeoutMs,
      halfOpenSampling: { calls: successThreshold, threshold: 0 },
    });
    cb.onStateChange((s) => {
      const e: BreakerEvent = { provider, model, state: stateName(s) };
      for (const l of listeners) l(e);
    });
    let openedAt = 0;
    cb.onBreak(() => {
      openedAt = Date.now();
    });
    return {
      provider,
      model,
      get state() {
        return stateName(cb.state);
      },
      get rejecting() {
        const s = cb.state;
        if (s === CircuitState.Isolated) return true;
        return s === CircuitState.Open && Date.now() - openedAt < openTimeoutMs;
      },
      execute: (fn, signal) => cb.execute(({ signal: s }) => fn(s), signal),
    };
  };

  return {
    get(provider, model) {
      const k = `${provider}\u0000${model}`;
      let b = breakers.get(k);
      if (!b) {
        b = make(provider, model);
        breakers.set(k, b);
      }
      return b;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    states: () =>
      [...breakers.values()].map((b) => ({ provider: b.provider, model: b.model, state: b.state })),
  };
}
