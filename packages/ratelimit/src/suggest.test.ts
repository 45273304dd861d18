import { describe, expect, it } from 'vitest';
import type { UsageEntry } from './blocks.js';
import { suggest } from './suggest.js';

const base = Date.parse('2026-01-01T10:00:00Z');
const rec = (p: Partial<UsageEntry> & { at: number }): UsageEntry => ({
  timestamp: base + p.at,
  model: p.model ?? 'claude-sonnet-4-5',
  inputTokens: p.inputTokens ?? 1_000,
  outputTokens: p.outputTokens ?? 800,
  cacheCreationTokens: p.cacheCreationTokens ?? 0,
  cacheReadTokens: p.cacheReadTokens ?? 0,
  costUsd: p.costUsd ?? 0.02,
});

describe('suggest', () => {
  it('suggests nothing for modest, varied, spaced usage', () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      rec({ at: i * 600_000, inputTokens: 500 + i * 400 }),
    );
    expect(suggest(records)).toEqual([]);
  });

  it('suggests batching many similar requests, with the Batch API saving', () => {
    const records = Array.from({ length: 30 }, (_, i) =>
      rec({ at: i * 120_000, inputTokens: 2_000 + (i % 3) * 10 }),
    );
    const s = suggest(records).find((x) => x.kind === 'batch-similar');
    expect(s?.evidence.requests).toBe(30);
    expect(s?.estimatedSavingsUsd).toBeCloseTo(0.3);
  });

  it('suggests compressing large, uncached contexts', () => {
    const records = Array.from({ length: 5 }, (_, i) =>
      rec({ at: i * 600_000, inputTokens: 50_000 + i * 9_000 }),
    );
    const s = suggest(records).find((x) => x.kind === 'compress-context');
    expect(s?.severity).toBe('warning');
    expect(s?.detail).toMatch(/cache_control/);
  });

  it('suggests spacing bursts and after rate-limit errors', () => {
    const burst = Array.from({ length: 40 }, (_, i) =>
      rec({ at: i * 500, inputTokens: 100 * (i + 1) }),
    );
    const tail = [rec({ at: 30 * 60_000 })];
    expect(suggest([...burst, ...tail]).some((x) => x.kind === 'space-requests')).toBe(true);
    const calm = [rec({ at: 0 }), rec({ at: 600_000, inputTokens: 9_000 })];
    expect(suggest(calm).some((x) => x.kind === 'space-requests')).toBe(false);
    expect(
      suggest(calm, { rateLimitErrors: 3 }).find((x) => x.kind === 'space-requests')?.severity,
    ).toBe('warning');
  });

  it('suggests a cheaper model for short answers from an expensive one', () => {
    const records = Array.from({ length: 8 }, (_, i) =>
      rec({
        at: i * 900_000,
        model: 'claude-opus-4-5',
        outputTokens: 120,
        inputTokens: 300 * (i + 1),
        costUsd: 0.1,
      }),
    );
    const s = suggest(records).find((x) => x.kind === 'cheaper-model');
    expect(s?.title).toMatch(/opus.*sonnet/);
    expect(s?.estimatedSavingsUsd).toBeCloseTo(0.32);
  });
});
