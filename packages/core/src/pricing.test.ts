import { describe, expect, it } from 'vitest';
import {
  createPriceTable,
  DEFAULT_PRICES,
  defaultPriceTable,
  parsePrice,
  parseUsd,
  picoToUsd,
  sumUsd,
} from './pricing.js';

const zero = {
  inputTokens: 0,
  outputTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
};

describe('price table', () => {
  it('prices current models from the defaults, exactly', () => {
    const t = defaultPriceTable();
    const c = t.cost('claude-opus-5-5', {
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      cacheWrite5mTokens: 1_000_000,
      cacheWrite1hTokens: 1_000_000,
      cacheReadTokens: 1_000_000,
    });
    expect(c?.usd).toBe('46.75'); // 5 + 25 + 6.25 + 10 + 0.5
    expect(t.cost('claude-sonnet-5', { ...zero, inputTokens: 1, outputTokens: 1 })?.usd).toBe(
      '0.000012',
    );
    expect(t.cost('claude-haiku-4-5-20251001', { ...zero, cacheReadTokens: 3 })?.usd).toBe(
      '0.0000003',
    );
    expect(t.cost('claude-sonnet-4-6', { ...zero, outputTokens: 7 })?.usd).toBe('0.000105');
    expect(t.lookup('claude-fable-5')).toBeUndefined();
  });

  it('the most specific pattern wins; the newest valid row of it applies', () => {
    const t = createPriceTable([
      ...DEFAULT_PRICES,
      {
        model: 'claude-opus-5-5',
        validFrom: '2027-01-01',
        input: '4',
        cacheWrite5m: '5',
        cacheWrite1h: '8',
        cacheRead: '0.4',
        output: '20',
      },
    ]);
    expect(t.lookup('claude-opus-4-1')?.input).toBe(15_000_000n); // claude-opus-4* (older Opus)
    expect(t.lookup('claude-opus-4-5')?.input).toBe(5_000_000n); // claude-opus-4-5* is more specific
    expect(t.lookup('claude-opus-5-5', new Date('2026-12-31'))?.input).toBe(5_000_000n);
    expect(t.lookup('claude-opus-5-5', new Date('2027-01-02'))?.input).toBe(4_000_000n);
  });

  it('never accumulates floating point error', () => {
    const t = defaultPriceTable();
    const costs: string[] = [];
    for (let i = 0; i < 1000; i++)
      costs.push(t.cost('claude-sonnet-4-6', { ...zero, cacheReadTokens: 1 })?.usd ?? '');
    expect(sumUsd(costs)).toBe('0.0003');
    expect(0.1 + 0.2).not.toBe(0.3); // what the decimal strings avoid
  });

  it('parses and formats exactly, and rejects bad rows with the field named', () => {
    expect(parsePrice(0.3)).toBe(300_000n);
    expect(parsePrice('18.75')).toBe(18_750_000n);
    expect(picoToUsd(parseUsd('0.000000000001'))).toBe('0.000000000001');
    expect(() => createPriceTable([{ ...DEFAULT_PRICES[0]!, output: '-1' }])).toThrow(
      /prices\[0\].*output/,
    );
    expect(() => createPriceTable([{ ...DEFAULT_PRICES[0]!, validFrom: 'soon' }])).toThrow(
      /validFrom/,
    );
  });
});
