import { describe, expect, it } from 'vitest';
import { errorMessage, isSpendLimit, parseRateLimitHeaders, parseRetryAfter } from './calibrate.js';

describe('header parsing', () => {
  it('reads every anthropic-ratelimit dimension from fetch Headers or a plain record', () => {
    const h = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
      'anthropic-ratelimit-input-tokens-limit': '30000',
      'anthropic-ratelimit-input-tokens-remaining': '29000',
      'anthropic-ratelimit-output-tokens-remaining': '7000',
      'anthropic-ratelimit-tokens-limit': '8000',
    });
    expect(parseRateLimitHeaders(h)).toEqual({
      requests: { limit: 50, remaining: 49, resetAt: Date.parse('2026-01-01T00:00:01Z') },
      inputTokens: { limit: 30_000, remaining: 29_000 },
      outputTokens: { remaining: 7_000 },
      tokens: { limit: 8_000 },
    });
    expect(parseRateLimitHeaders({ 'Anthropic-RateLimit-Requests-Remaining': ['3'] })).toEqual({
      requests: { remaining: 3 },
    });
    expect(parseRateLimitHeaders({ 'anthropic-ratelimit-requests-remaining': 'junk' })).toEqual({});
  });

  it('reads retry-after as seconds, milliseconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '7' }, now)).toBe(7_000);
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '2' }, now)).toBe(1_500);
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });

  it('recognises a final spend-limit 429 only without retry-after', () => {
    const msg =
      'You have reached your specified API usage limits. You will regain access on 2026-12-01.';
    expect(isSpendLimit(429, {}, msg)).toBe(true);
    expect(isSpendLimit(429, { 'retry-after': '10' }, msg)).toBe(false);
    expect(
      isSpendLimit(429, {}, 'Number of request tokens has exceeded your per-minute rate limit'),
    ).toBe(false);
    expect(isSpendLimit(529, {}, msg)).toBe(false);
    expect(errorMessage('{"type":"error","error":{"type":"rate_limit_error","message":"m"}}')).toBe(
      'm',
    );
  });
});
