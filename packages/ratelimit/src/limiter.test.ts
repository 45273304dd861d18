import { describe, expect, it } from 'vitest';
import { manualClock } from './clock.js';
import { createLimiter } from './limiter.js';
import { memoryStore } from './memory-store.js';
import { describeLimiterContract } from './testing/limiter-contract.js';

describeLimiterContract('the memory store', async () => {
  const clock = manualClock(1_700_000_000_000);
  return {
    store: memoryStore({ clock }),
    clock,
    advance: (ms) => clock.advance(ms),
    flush: () => clock.flush(),
    slackMs: 0,
  };
});

describe('the immediate path of a store in memory', () => {
  it('grants a fitting request while nobody waits without a queue turn, and never lets one pass a waiter', async () => {
    const clock = manualClock(1_700_000_000_000);
    const store = memoryStore({ clock });
    expect(store.immediate).toBeDefined();
    const l = createLimiter({ store, clock, limits: { inputTokensPerMinute: 6_000 } });
    // Granted already when the first microtask runs: no waiter, no pump, no store promise.
    let granted = false;
    const first = l.acquire('s', { inputTokens: 4_000 }).then((r) => {
      granted = true;
      return r;
    });
    await Promise.resolve();
    expect(granted).toBe(true);
    expect((await first).waitedMs).toBe(0);
    expect((await l.state('s')).inFlight).toBe(1);
    // 3 000 does not fit (2 000 left): it waits. 1 000 would fit, but must queue behind it.
    const order: string[] = [];
    const big = l.acquire('s', { inputTokens: 3_000 }).then(() => order.push('big'));
    const small = l.acquire('s', { inputTokens: 1_000 }).then(() => order.push('small'));
    await clock.flush();
    expect(order).toEqual([]);
    expect((await l.state('s')).queued).toBe(2);
    await clock.advance(10_100); // +1 010 tokens: 3 010 available
    await big;
    expect(order).toEqual(['big']);
    await clock.advance(10_000);
    await small;
    expect(order).toEqual(['big', 'small']);
    // Oversize fails at once on the immediate path too.
    await expect(l.acquire('t', { inputTokens: 7_000 })).rejects.toMatchObject({
      code: 'oversize',
    });
    l.close();
  });
});
