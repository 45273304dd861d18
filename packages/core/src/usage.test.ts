import { describe, expect, it } from 'vitest';
import { defaultPriceTable } from './pricing.js';
import {
  batchingUsageSink,
  memoryUsageSink,
  tokenCounts,
  type UsageRecord,
  usageRecord,
} from './usage.js';

const rec = (i: number): UsageRecord =>
  usageRecord(
    {
      provider: 'anthropic',
      backend: 'api',
      requestId: `req_${i}`,
      messageId: `msg_${i}`,
      model: 'claude-haiku-4-5',
      inputTokens: 10,
      outputTokens: 5,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
    },
    defaultPriceTable(),
  );

describe('usage', () => {
  it('normalises API usage (cache writes without a split are 5-minute writes)', () => {
    expect(
      tokenCounts({
        input_tokens: 3,
        output_tokens: 4,
        cache_creation_input_tokens: 10,
        cache_read_input_tokens: 2,
      }),
    ).toEqual({
      inputTokens: 3,
      outputTokens: 4,
      cacheWrite5mTokens: 10,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 2,
    });
    expect(
      tokenCounts({
        cache_creation_input_tokens: 10,
        cache_creation: { ephemeral_5m_input_tokens: 4, ephemeral_1h_input_tokens: 6 },
      }),
    ).toMatchObject({ cacheWrite5mTokens: 4, cacheWrite1hTokens: 6 });
  });

  it('the memory sink drops a record whose request id + message id it has seen', () => {
    const s = memoryUsageSink();
    s.record(rec(1));
    s.record(rec(1));
    s.record(rec(2));
    expect(s.records).toHaveLength(2);
    expect(s.totals()).toMatchObject({ records: 2, inputTokens: 20, costUsd: '0.00007' });
  });

  it('batches writes by size and on flush, and keeps a failed batch for the next flush', async () => {
    const batches: number[] = [];
    let fail = true;
    const errors: unknown[] = [];
    const sink = batchingUsageSink(
      async (b) => {
        if (fail) {
          fail = false;
          throw new Error('db down');
        }
        batches.push(b.length);
      },
      { maxBatch: 3, flushIntervalMs: 60_000, onError: (e) => errors.push(e) },
    );
    for (let i = 0; i < 3; i++) sink.record(rec(i));
    await sink.flush();
    expect(errors).toHaveLength(1);
    expect(sink.pending).toBe(3);
    sink.record(rec(9));
    await sink.close();
    expect(batches).toEqual([4]);
    expect(() => sink.record(rec(10))).toThrow(/closed/);
  });
});
