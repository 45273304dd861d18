import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { client, expectError, raw, sim } from './helpers.js';

let s: RunningSimulator | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const body = {
  model: 'claude-haiku-4-5',
  max_tokens: 10,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('rate limits', () => {
  it('at 60 RPM a burst of 120 admits about 60; the rest get 429 with retry-after', async () => {
    s = await sim({ limits: { rpm: 60 } });
    const sim_ = s;
    const remaining: number[] = [];
    const limited: { retryAfter: number; reset: string; body: unknown }[] = [];
    const t0 = Date.now();
    // Sequential, so the order of `remaining` values is meaningful.
    for (let i = 0; i < 120; i++) {
      const r = await raw(sim_, '/v1/messages', body);
      if (r.status === 200)
        remaining.push(Number(r.headers.get('anthropic-ratelimit-requests-remaining')));
      else {
        expect(r.status).toBe(429);
        limited.push({
          retryAfter: Number(r.headers.get('retry-after')),
          reset: r.headers.get('anthropic-ratelimit-requests-reset') ?? '',
          body: r.json(),
        });
      }
    }
    const elapsedSec = (Date.now() - t0) / 1000;
    // Capacity 60 plus what refilled (1/s) during the burst.
    expect(remaining.length).toBeGreaterThanOrEqual(60);
    expect(remaining.length).toBeLessThanOrEqual(60 + Math.ceil(elapsedSec) + 1);
    expect(limited.length).toBe(120 - remaining.length);
    // remaining counts down 59, 58, … 0 over the first 60 (refill during the burst can only add).
    expect(remaining[0]).toBe(59);
    for (let i = 1; i < 60; i++)
      expect(remaining[i]).toBeLessThanOrEqual((remaining[i - 1] as number) + 1);
    expect(Math.min(...remaining)).toBe(0);
    for (const l of limited) {
      expect(Number.isInteger(l.retryAfter)).toBe(true);
      expect(l.retryAfter).toBeGreaterThanOrEqual(1);
      expect(l.retryAfter).toBeLessThanOrEqual(1); // one request refills in ≤ 1 s at 60 RPM
      expectError(l.body, 'rate_limit_error', /60 requests per minute/);
      const resetIn = Date.parse(l.reset) - Date.now();
      expect(resetIn).toBeGreaterThan(30_000); // a near-empty bucket takes ~60 s to refill fully
      expect(resetIn).toBeLessThanOrEqual(61_000);
    }
    const stats = sim_.stats();
    expect(stats.totals.requests).toBe(120);
    expect(stats.totals.admitted).toBe(remaining.length);
    expect(stats.totals.rateLimited).toBe(limited.length);
    expect(stats.byKey['sk-sim-test']?.['claude-haiku-4-5']?.rateLimited).toBe(limited.length);

    // Continuous refill: after ~2.2 s, two more requests fit.
    await new Promise((r) => setTimeout(r, 2200));
    const a = await raw(sim_, '/v1/messages', body);
    const b = await raw(sim_, '/v1/messages', body);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('limits input and output tokens per minute, and counts cache writes but not reads', async () => {
    s = await sim({ limits: { itpm: 6000, otpm: 1000 } });
    const c = client(s);
    const long = 'The quick brown fox jumps over the lazy dog near the river bank. '.repeat(200);
    const cached = {
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      system: [
        { type: 'text' as const, text: long, cache_control: { type: 'ephemeral' as const } },
      ],
      messages: [{ role: 'user' as const, content: 'q' }],
    };
    const first = await c.messages.create(cached).withResponse();
    const written = first.data.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(2000);
    const remaining1 = Number(
      first.response.headers.get('anthropic-ratelimit-input-tokens-remaining'),
    );
    expect(remaining1).toBeLessThanOrEqual(6000 - written - first.data.usage.input_tokens);
    // Cache reads are exempt: many repeats fit although 3 × 2,800 > 6,000.
    for (let i = 0; i < 3; i++) {
      const again = await c.messages.create(cached);
      expect(again.usage.cache_read_input_tokens).toBe(written);
    }
    // Output: max_tokens is charged up front; a request asking for more than remains is refused.
    const big = await raw(s, '/v1/messages', { ...cached, max_tokens: 990 });
    expect(big.status).toBe(429);
    expectError(big.json(), 'rate_limit_error', /output tokens per minute/);
    expect(Number(big.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(big.headers.get('anthropic-ratelimit-output-tokens-remaining'))).toBeLessThan(
      990,
    );
  });

  it("the SDK's own retry honours retry-after and succeeds", async () => {
    s = await sim({ limits: { rpm: 60 } });
    for (let i = 0; i < 60; i++) expect((await raw(s, '/v1/messages', body)).status).toBe(200);
    const c = client(s, { maxRetries: 2 });
    const t0 = Date.now();
    const { data, response } = await c.messages
      .create(body as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    const waited = Date.now() - t0;
    expect(data.type).toBe('message');
    expect(response.status).toBe(200);
    // The first attempt got 429 with retry-after: 1 and the SDK slept ~1 s before retrying.
    expect(s.stats().totals.rateLimited).toBeGreaterThanOrEqual(1);
    expect(waited).toBeGreaterThanOrEqual(900);
    // Without retries, the SDK surfaces RateLimitError with the header.
    const noRetry = client(s, { maxRetries: 0 });
    for (let i = 0; i < 5; i++) await raw(s, '/v1/messages', body);
    const err = await noRetry.messages
      .create(body as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe(
      '1',
    );
  });

  it('POST /_sim/config changes limits at run time and /_sim/reset refills', async () => {
    s = await sim({ limits: { rpm: 2 } });
    expect((await raw(s, '/v1/messages', body)).status).toBe(200);
    expect((await raw(s, '/v1/messages', body)).status).toBe(200);
    expect((await raw(s, '/v1/messages', body)).status).toBe(429);
    const cfg = await raw(s, '/_sim/config', {
      limits: { rpm: 1000, perClass: { opus: { rpm: 1 } } },
    });
    expect(cfg.status).toBe(200);
    expect((await raw(s, '/v1/messages', body)).status).toBe(200);
    const opus = { ...body, model: 'claude-opus-4-5' };
    expect((await raw(s, '/v1/messages', opus)).status).toBe(200);
    expect((await raw(s, '/v1/messages', opus)).status).toBe(429);
    expect((await raw(s, '/_sim/reset', {})).status).toBe(200);
    expect((await raw(s, '/v1/messages', opus)).status).toBe(200);
    const stats = (await raw(s, '/_sim/stats')).json() as { totals: { requests: number } };
    expect(stats.totals.requests).toBe(1);
    const bad = await raw(s, '/_sim/config', { limits: { rpm: -1 } });
    expect(bad.status).toBe(400);
    expectError(bad.json(), 'invalid_request_error', /rpm/);
  });
});
