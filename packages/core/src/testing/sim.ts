import { type RunningSimulator, type SimulatorOptions, startSimulator } from '@baton/simulator';
import type { ErrorCode } from '../errors.js';
import type { BatonEvent } from '../events.js';
import type { StrategyOverrides } from '../strategy.js';

export const KEY = 'sk-core-test';

export function sim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, ...options });
}

/** Every strategy with millisecond delays (tests must not sleep for real). */
export function fastStrategies(extra: StrategyOverrides = {}): StrategyOverrides {
  const codes: ErrorCode[] = [
    'RateLimit',
    'NetworkTimeout',
    'ServiceUnavailable',
    'ModelOverloaded',
    'ContextTooLarge',
    'SessionTimeout',
    'Unknown',
  ];
  const out: StrategyOverrides = {};
  for (const c of codes) out[c] = { baseDelayMs: 1, maxDelayMs: 5, jitter: 0, ...extra[c] };
  return { ...extra, ...out };
}

/** Collects events (pass as `onEvent`). */
export function recorder(): {
  events: BatonEvent[];
  on: (e: BatonEvent) => void;
  of<T extends BatonEvent['type']>(t: T): Extract<BatonEvent, { type: T }>[];
} {
  const events: BatonEvent[] = [];
  return {
    events,
    on: (e) => events.push(e),
    of: <T extends BatonEvent['type']>(t: T) =>
      events.filter((e): e is Extract<BatonEvent, { type: T }> => e.type === t),
  };
}
