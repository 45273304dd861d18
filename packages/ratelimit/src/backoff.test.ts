import { describe, expect, it } from 'vitest';
import { backoffDelay, createBackoff } from './backoff.js';

describe('backoff', () => {
  it('doubles from the base, with ±5 % jitter, capped at 10 minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { random: () => 0.5 }))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(backoffDelay(1, { random: () => 0 })).toBe(950);
    expect(backoffDelay(1, { random: () => 0.999999 })).toBeCloseTo(1_050, 0);
    expect(backoffDelay(30, { random: () => 0.99 })).toBe(600_000);
    expect(backoffDelay(100, { random: () => 0 })).toBe(570_000);
    expect(backoffDelay(0)).toBe(0);
  });

  it('grows with consecutive failures and relaxes one step per success', () => {
    const b = createBackoff({ random: () => 0.5 });
    expect([b.failure(), b.failure(), b.failure()]).toEqual([1_000, 2_000, 4_000]);
    b.success();
    expect(b.failures).toBe(2);
    expect(b.failure()).toBe(4_000);
    for (let i = 0; i < 10; i++) b.success();
    expect(b.failures).toBe(0);
  });
});
