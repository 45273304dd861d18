import { describe, expect, it } from 'vitest';
import { formatInt, formatMs, formatMultiplier, formatUsd, shortId } from './format';

describe('formatting', () => {
  it('formats exact decimal dollars without floating point', () => {
    expect(formatUsd('0.500000')).toBe('$0.50');
    expect(formatUsd('6.250000')).toBe('$6.25');
    expect(formatUsd('0.080000')).toBe('$0.08');
    expect(formatUsd('1.123400')).toBe('$1.1234');
    expect(formatUsd('0.001062')).toBe('$0.001062');
    expect(formatUsd('12345')).toBe('$12,345.00');
    expect(formatUsd('0.1')).toBe('$0.10');
  });

  it('formats counts, durations, multipliers and ids', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatMs(2.345)).toBe('2.3 ms');
    expect(formatMs(412.6)).toBe('413 ms');
    expect(formatMultiplier('0.5000')).toBe('×0.5');
    expect(formatMultiplier('2.0000')).toBe('×2');
    expect(formatMultiplier('3')).toBe('×3');
    expect(shortId('d1aed01f-aaaa-bbbb-cccc-dddddddddddd')).toBe('d1aed01f');
  });
});
