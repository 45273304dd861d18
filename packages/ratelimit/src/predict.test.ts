import { describe, expect, it } from 'vitest';
import type { UsageEntry } from './blocks.js';
import { demandPerMinute, drainTime, predict } from './predict.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const rec = (
  agoMs: number,
  input: number,
  output: number,
  cacheRead = 0,
  cacheWrite = 0,
): UsageEntry => ({
  timestamp: now - agoMs,
  model: 'claude-sonnet-4-5',
  inputTokens: input,
  outputTokens: output,
  cacheCreationTokens: cacheWrite,
  cacheReadTokens: cacheRead,
  costUsd: 0.01,
});

describe('prediction', () => {
  it('measures demand per minute as the limits count it (cache reads exempt, writes counted)', () => {
    const d = demandPerMinute(
      [rec(60_000, 1_000, 100, 50_000, 500), rec(120_000, 2_000, 300)],
      now,
      10 * 60_000,
    );
    expect(d).toEqual({ requests: 0.2, inputTokens: 350, outputTokens: 40, tokens: 390 });
  });

  it('computes the time until the queue drains from the slowest dimension, after a pause', () => {
    const view = {
      now,
      pausedUntil: now + 5_000,
      dimensions: {
        requests: { capacity: 60, remaining: 10 },
        inputTokens: { capacity: 60_000, remaining: 0 },
      },
      queuedAmounts: { requests: 20, inputTokens: 30_000 },
    };
    // requests: 10 short at 1/s → 10 s; input: 30,000 at 1,000/s → 30 s; plus the 5 s pause.
    expect(drainTime(view)).toBe(35_000);
    expect(drainTime({ ...view, queuedAmounts: {} })).toBe(5_000);
  });

  it('names the binding dimension now and the one demand will exhaust', () => {
    const records = Array.from({ length: 100 }, (_, i) => rec(i * 6_000, 500, 900));
    const p = predict(
      {
        now,
        dimensions: {
          requests: { capacity: 50, remaining: 5 },
          inputTokens: { capacity: 100_000, remaining: 60_000 },
          outputTokens: { capacity: 10_000, remaining: 8_000 },
        },
      },
      records,
    );
    expect(p.bindingNow).toBe('requests');
    // 10 req/min of 50; 5,000 input/min of 100,000; 9,000 output/min of 10,000.
    expect(p.bindingProjected).toBe('outputTokens');
    expect(p.pressure.outputTokens).toBeCloseTo(0.9);
    expect(p.utilization.requests).toBeCloseTo(0.9);
    // The block began at 11:00 (the first record, 11:50, floored to the hour) and ends at 16:00.
    expect(p.block?.remainingMinutes).toBe(240);
  });
});
