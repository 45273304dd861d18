import { describe, expect, it } from 'vitest';
import { activeBlock, burnRate, identifyBlocks, projectBlock, type UsageEntry } from './blocks.js';

const H = 3_600_000;
const base = Date.parse('2026-01-01T10:00:00Z');
const rec = (
  t: number,
  input = 1000,
  output = 500,
  model = 'claude-sonnet-4-5',
  cost = 0.01,
): UsageEntry => ({
  timestamp: new Date(t),
  model,
  inputTokens: input,
  outputTokens: output,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd: cost,
});

describe('identifyBlocks (ccusage rules)', () => {
  it('returns nothing for no records', () => {
    expect(identifyBlocks([])).toEqual([]);
  });

  it('floors the block start to the hour and ends it 5 h later', () => {
    const [b] = identifyBlocks([rec(Date.parse('2026-01-01T10:55:30Z'))], { now: base + 100 * H });
    expect(b?.startTime.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(b?.id).toBe('2026-01-01T10:00:00.000Z');
    expect(b?.endTime.toISOString()).toBe('2026-01-01T15:00:00.000Z');
    expect(b?.isActive).toBe(false);
  });

  it('keeps entries within 5 h of the block start together, sorted, with totals and models', () => {
    const blocks = identifyBlocks(
      [rec(base + 2 * H), rec(base, 1000, 500, 'claude-opus-4-5'), rec(base + H)],
      { now: base + 100 * H },
    );
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.entries.map((e) => e.timestamp)).toEqual([
      new Date(base),
      new Date(base + H),
      new Date(base + 2 * H),
    ]);
    expect(blocks[0]?.tokenCounts).toEqual({
      inputTokens: 3000,
      outputTokens: 1500,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
    });
    expect(blocks[0]?.costUsd).toBeCloseTo(0.03);
    expect(blocks[0]?.models).toEqual(['claude-opus-4-5', 'claude-sonnet-4-5']);
  });

  it('starts a new block past start + 5 h even without a long gap (and no gap block)', () => {
    // 10:00, 14:00, 15:30 → 15:30 is past 10:00 + 5 h: a new block starting 15:00; no gap block.
    const blocks = identifyBlocks([rec(base), rec(base + 4 * H), rec(base + 5.5 * H)], {
      now: base + 100 * H,
    });
    expect(blocks.map((b) => [b.id, b.isGap, b.entries.length])).toEqual([
      ['2026-01-01T10:00:00.000Z', false, 2],
      ['2026-01-01T15:00:00.000Z', false, 1],
    ]);
  });

  it('inserts a gap block after more than 5 h without activity', () => {
    const blocks = identifyBlocks([rec(base), rec(base + 2 * H), rec(base + 8 * H)], {
      now: base + 100 * H,
    });
    expect(blocks.map((b) => b.isGap)).toEqual([false, true, false]);
    expect(blocks[1]?.startTime).toEqual(new Date(base + 7 * H));
    expect(blocks[1]?.endTime).toEqual(new Date(base + 8 * H));
    expect(blocks[1]?.id).toBe('gap-2026-01-01T17:00:00.000Z');
  });

  it('marks a block active while its last entry is under 5 h old and now is before its end', () => {
    const records = [rec(base + 10 * 60_000), rec(base + 70 * 60_000)];
    expect(identifyBlocks(records, { now: base + 2 * H })[0]?.isActive).toBe(true);
    expect(identifyBlocks(records, { now: base + 5 * H + 1 })[0]?.isActive).toBe(false);
    expect(activeBlock(identifyBlocks(records, { now: base + 2 * H }))?.id).toBe(
      '2026-01-01T10:00:00.000Z',
    );
  });
});

describe('burn rate and projection', () => {
  it('measures tokens/min and $/h between the first and last entry, and projects to the block end', () => {
    // 60 min apart: 3,000 tokens / 60 min = 50 tokens/min; $0.02 per hour.
    const blocks = identifyBlocks([rec(base), rec(base + H)], { now: base + 2 * H });
    const b = blocks[0];
    if (!b) throw new Error('no block');
    expect(burnRate(b)).toEqual({ tokensPerMinute: 50, costPerHour: 0.02 });
    // 3 h left: 3,000 + 50 × 180 = 12,000 tokens; $0.02 + $0.06.
    expect(projectBlock(b, base + 2 * H)).toEqual({
      totalTokens: 12_000,
      totalCost: 0.08,
      remainingMinutes: 180,
    });
  });

  it('has no burn rate for a single instant, and no projection for inactive blocks', () => {
    const [single] = identifyBlocks([rec(base)], { now: base + H });
    expect(single && burnRate(single)).toBeUndefined();
    const [old] = identifyBlocks([rec(base), rec(base + H)], { now: base + 10 * H });
    expect(old && projectBlock(old, base + 10 * H)).toBeUndefined();
  });
});
