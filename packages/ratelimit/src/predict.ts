import {
  activeBlock,
  type BlockProjection,
  identifyBlocks,
  projectBlock,
  type UsageEntry,
} from './blocks.js';
import { rateOf } from './bucket.js';
import { type Amounts, chargeOf, DIMENSIONS, type Dimension } from './limits.js';

/** The parts of a limiter state (`limiter.state(scope)`) prediction needs. */
export interface LimitView {
  now: number;
  pausedUntil?: number;
  dimensions: Partial<Record<Dimension, { capacity: number; remaining: number }>>;
  queuedAmounts?: Amounts;
}

/** What the recent records demand per minute, per dimension (as the limits count it). */
export function demandPerMinute(
  records: readonly UsageEntry[],
  now: number,
  windowMs = 10 * 60_000,
): Amounts {
  const since = now - windowMs;
  const total: Amounts = { requests: 0, inputTokens: 0, outputTokens: 0, tokens: 0 };
  for (const r of records) {
    const t = new Date(r.timestamp).getTime();
    if (t < since || t > now) continue;
    const c = chargeOf({
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cacheCreationInputTokens: r.cacheCreationTokens,
    });
    total.requests = (total.requests ?? 0) + 1;
    total.inputTokens = (total.inputTokens ?? 0) + (c.inputTokens ?? 0);
    total.outputTokens = (total.outputTokens ?? 0) + (c.outputTokens ?? 0);
    total.tokens = (total.tokens ?? 0) + (c.inputTokens ?? 0) + (c.outputTokens ?? 0);
  }
  const perMinute: Amounts = {};
  for (const d of DIMENSIONS) perMinute[d] = ((total[d] ?? 0) * 60_000) / windowMs;
  return perMinute;
}

/**
 * Milliseconds until everything waiting has been admitted: for each dimension, what the queue
 * needs beyond what remains, at the refill rate (the slowest dimension decides), after any pause.
 */
export function drainTime(view: LimitView): number {
  const pause = Math.max(0, (view.pausedUntil ?? 0) - view.now);
  let ms = 0;
  for (const d of DIMENSIONS) {
    const b = view.dimensions[d];
    const need = view.queuedAmounts?.[d] ?? 0;
    if (!b || need <= 0) continue;
    const deficit = need - Math.max(0, b.remaining);
    if (deficit > 0) ms = Math.max(ms, deficit / rateOf(b.capacity));
  }
  return pause + ms;
}

export interface Prediction {
  /** The dimension closest to empty now (lowest remaining / capacity). */
  bindingNow: Dimension | undefined;
  /** The dimension the current demand will exhaust first (highest demand / limit). */
  bindingProjected: Dimension | undefined;
  /** Fraction of each limit in use now (1 − remaining / capacity). */
  utilization: Partial<Record<Dimension, number>>;
  /** Demand per minute ÷ limit per minute (above 1: the queue grows). */
  pressure: Partial<Record<Dimension, number>>;
  demandPerMinute: Amounts;
  /** Time until the queue drains (ms). */
  drainMs: number;
  /** The active 5-hour block projected to its end, when there is one. */
  block: BlockProjection | undefined;
}

/** Combines the limiter's state with recent usage into what the console shows. */
export function predict(view: LimitView, records: readonly UsageEntry[] = []): Prediction {
  const utilization: Prediction['utilization'] = {};
  const pressure: Prediction['pressure'] = {};
  const demand = demandPerMinute(records, view.now);
  let bindingNow: Dimension | undefined;
  let bindingProjected: Dimension | undefined;
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  for (const d of DIMENSIONS) {
    const b = view.dimensions[d];
    if (!b) continue;
    const free = b.remaining / b.capacity;
    utilization[d] = Math.min(1, Math.max(0, 1 - free));
    if (free < lowest) {
      lowest = free;
      bindingNow = d;
    }
    const p = ((demand[d] ?? 0) + (view.queuedAmounts?.[d] ?? 0)) / b.capacity;
    pressure[d] = p;
    if (p > highest) {
      highest = p;
      bindingProjected = d;
    }
  }
  const active = activeBlock(identifyBlocks(records, { now: view.now }));
  return {
    bindingNow,
    bindingProjected,
    utilization,
    pressure,
    demandPerMinute: demand,
    drainMs: drainTime(view),
    block: active ? projectBlock(active, view.now) : undefined,
  };
}
