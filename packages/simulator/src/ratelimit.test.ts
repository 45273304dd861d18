import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  RateLimiter,
  rateLimitHeaders,
  resolveLimits,
  TokenBucket,
} from './ratelimit.js';

describe('TokenBucket', () => {
  it('starts full and refills continuously at capacity per minute', () => {
    const b = new TokenBucket(60, 0);
    expect(b.available(0)).toBe(60);
    b.take(60);
    expect(b.available(0)).toBe(0);
    expect(b.available(500)).toBeCloseTo(0.5);
    expect(b.available(30_000)).toBeCloseTo(30);
    expect(b.available(10 * 60_000)).toBe(60);
    b.take(10);
    expect(b.waitMs(20, 10 * 60_000)).toBe(0);
    expect(b.waitMs(60, 10 * 60_000)).toBeCloseTo(10_000);
    expect(b.fullInMs(10 * 60_000)).toBeCloseTo(10_000);
  });
});

describe('RateLimiter', () => {
  it('uses generous defaults and per-class overrides', () => {
    expect(resolveLimits(undefined, 'opus')).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ rpm: 10, perClass: { haiku: { rpm: 99 } } }, 'haiku')).toEqual({
      ...DEFAULT_LIMITS,
      rpm: 99,
    });
    expect(resolveLimits({ rpm: 10, perClass: { haiku: { rpm: 99 } } }, 'opus').rpm).toBe(10);
  });

  it('admits up to the RPM, then says how long to wait', () => {
    const rl = new RateLimiter({ rpm: 60 });
    let admitted = 0;
    for (let i = 0; i < 120; i++) if (rl.admit('k', 'sonnet', 10, 10, 0).ok) admitted++;
    expect(admitted).toBe(60);
    const r = rl.admit('k', 'sonnet', 10, 10, 0);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.limited).toBe('requests');
      expect(r.retryAfterSec).toBe(1);
    }
    // A second later one more request fits; other keys and classes are separate.
    expect(rl.admit('k', 'sonnet', 10, 10, 1000).ok).toBe(true);
    expect(rl.admit('other', 'sonnet', 10, 10, 0).ok).toBe(true);
    expect(rl.admit('k', 'opus', 10, 10, 0).ok).toBe(true);
  });

  it('limits input tokens and charges max_tokens for output, settling to the actual', () => {
    const rl = new RateLimiter({ itpm: 1000, otpm: 600 });
    expect(rl.admit('k', 'haiku', 900, 10, 0).ok).toBe(true);
    const r = rl.admit('k', 'haiku', 200, 10, 0);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.limited).toBe('input');
      // 100 tokens missing at 1000/min → 6 s.
      expect(r.retryAfterSec).toBe(6);
    }
    const a = rl.admit('k2', 'haiku', 1, 500, 0);
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(Math.round(a.buckets.output.available(0))).toBe(100);
    rl.settle(a.buckets, a.outputCharged, 50);
    expect(Math.round(a.buckets.output.available(0))).toBe(550);
    // max_tokens above the whole OTPM is charged at capacity so it can still be admitted.
    const big = rl.admit('k3', 'haiku', 1, 100_000, 0);
    expect(big.ok).toBe(true);
  });

  it('writes anthropic-ratelimit-* headers with RFC 3339 resets', () => {
    const rl = new RateLimiter({ rpm: 60, itpm: 1000, otpm: 100 });
    const a = rl.admit('k', 'opus', 100, 50, Date.parse('2026-01-01T00:00:00Z'));
    const h: Record<string, string> = {};
    rateLimitHeaders(a.buckets, Date.parse('2026-01-01T00:00:00Z'), h);
    expect(h['anthropic-ratelimit-requests-limit']).toBe('60');
    expect(h['anthropic-ratelimit-requests-remaining']).toBe('59');
    expect(h['anthropic-ratelimit-requests-reset']).toBe('2026-01-01T00:00:01Z');
    expect(h['anthropic-ratelimit-input-tokens-remaining']).toBe('900');
    expect(h['anthropic-ratelimit-input-tokens-reset']).toBe('2026-01-01T00:00:06Z');
    expect(h['anthropic-ratelimit-output-tokens-remaining']).toBe('50');
    expect(h['anthropic-ratelimit-output-tokens-reset']).toBe('2026-01-01T00:00:30Z');
    // tokens-* is the most restrictive of input/output (output is at 50%).
    expect(h['anthropic-ratelimit-tokens-limit']).toBe('100');
    expect(h['anthropic-ratelimit-tokens-remaining']).toBe('50');
  });

  it('applies new limits to existing buckets', () => {
    const rl = new RateLimiter({ rpm: 10 });
    for (let i = 0; i < 10; i++) rl.admit('k', 'opus', 1, 1, 0);
    expect(rl.admit('k', 'opus', 1, 1, 0).ok).toBe(false);
    rl.setConfig({ rpm: 20 }, 0);
    expect(rl.admit('k', 'opus', 1, 1, 0).ok).toBe(true);
  });
});
