import Anthropic from '@anthropic-ai/sdk';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countTokensCounter,
  createLimiter,
  memoryStore,
  rateLimitedFetch,
  scopeOf,
  withRateLimit,
} from '../src/index.js';

const KEY = 'sk-ratelimit-test';
const MODEL = 'claude-sonnet-5';
let sim: RunningSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const prompt = (i: number, words: number) =>
  `Request ${i}: ${Array.from({ length: words }, (_, j) => `word${(i * 7 + j) % 97}`).join(' ')}`;

describe('rate-limited @anthropic-ai/sdk against the simulator', () => {
  it('settles a JSON response from its usage and re-syncs from its headers', async () => {
    sim = await startSimulator({ port: 0, limits: { rpm: 50, itpm: 40_000, otpm: 8_000 } });
    const limiter = createLimiter({ store: memoryStore() });
    const client = new Anthropic({
      baseURL: sim.url,
      apiKey: KEY,
      fetch: rateLimitedFetch(limiter),
    });
    const msg = await client.messages.create({
      model: MODEL,
      max_tokens: 1_000,
      messages: [{ role: 'user', content: prompt(1, 200) }],
    });
    const scope = scopeOf(KEY, MODEL);
    const s = await limiter.state(scope);
    expect(s.inFlight).toBe(0);
    // Limits were learned from the headers (none were configured).
    expect(s.dimensions.requests?.capacity).toBe(50);
    expect(s.dimensions.inputTokens?.capacity).toBe(40_000);
    expect(s.dimensions.outputTokens?.capacity).toBe(8_000);
    // The server's view after this one request: what it charged, nothing more or less.
    const input = s.dimensions.inputTokens?.remaining ?? 0;
    expect(input).toBeGreaterThanOrEqual(40_000 - msg.usage.input_tokens - 1);
    expect(input).toBeLessThanOrEqual(40_000);
    const output = s.dimensions.outputTokens?.remaining ?? 0;
    expect(output).toBeGreaterThanOrEqual(8_000 - msg.usage.output_tokens - 1);
    expect(s.dimensions.requests?.remaining).toBeLessThanOrEqual(50);
  });

  it('settles a streamed response from message_start / message_delta without buffering it', async () => {
    sim = await startSimulator({
      port: 0,
      limits: { rpm: 50, itpm: 40_000, otpm: 8_000 },
      response: { tokensPerSecond: 2_000, outputTokens: { type: 'fixed', tokens: 300 } },
    });
    const limiter = createLimiter({ store: memoryStore() });
    const client = new Anthropic({
      baseURL: sim.url,
      apiKey: KEY,
      fetch: rateLimitedFetch(limiter),
    });
    const scope = scopeOf(KEY, MODEL);
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 2_000,
      messages: [{ role: 'user', content: prompt(2, 100) }],
    });
    let sawFirstEventBeforeEnd = false;
    let inFlightDuringStream = -1;
    stream.on('text', () => {
      if (!sawFirstEventBeforeEnd) {
        sawFirstEventBeforeEnd = true;
        void limiter.state(scope).then((st) => {
          inFlightDuringStream = st.inFlight;
        });
      }
    });
    const msg = await stream.finalMessage();
    expect(msg.usage.output_tokens).toBe(300);
    expect(sawFirstEventBeforeEnd).toBe(true);
    expect(inFlightDuringStream).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    const s = await limiter.state(scope);
    expect(s.inFlight).toBe(0);
    expect(s.dimensions.outputTokens?.remaining).toBeGreaterThanOrEqual(8_000 - 300 - 1);
  });

  it('keeps a burst within the limits: every request completes, at most a stray 429 at the edge', async () => {
    sim = await startSimulator({ port: 0, limits: { rpm: 120, itpm: 1_000_000, otpm: 1_000_000 } });
    const limiter = createLimiter({
      store: memoryStore(),
      limits: { requestsPerMinute: 120 },
    });
    const client = new Anthropic({
      baseURL: sim.url,
      apiKey: KEY,
      maxRetries: 0,
      fetch: rateLimitedFetch(limiter),
    });
    const results = await Promise.all(
      Array.from({ length: 126 }, (_, i) =>
        client.messages.create({
          model: MODEL,
          max_tokens: 64,
          messages: [{ role: 'user', content: prompt(i, 10) }],
        }),
      ),
    );
    expect(results).toHaveLength(126);
    // The server's bucket starts draining a few ms after ours (at its first admission), so the
    // very edge of a full-bucket burst may meet a 429 (paused and retried inside the wrapper).
    expect(sim.stats().totals.rateLimited).toBeLessThanOrEqual(3);
    expect(sim.stats().totals.admitted).toBe(126);
  });

  it('learns the limits from the first responses, pauses on 429 and retries, with no 429 after warm-up', async () => {
    sim = await startSimulator({ port: 0, limits: { rpm: 1_000, itpm: 60_000, otpm: 100_000 } });
    // The limiter is configured too generously: the server's headers correct it.
    const limiter = createLimiter({
      store: memoryStore(),
      limits: { inputTokensPerMinute: 3_000_000 },
    });
    const client = new Anthropic({
      baseURL: sim.url,
      apiKey: KEY,
      maxRetries: 0,
      fetch: rateLimitedFetch(limiter, {
        counter: countTokensCounter(fetch, { baseURL: sim.url, headers: { 'x-api-key': KEY } }),
      }),
    });
    const send = (i: number) =>
      client.messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: prompt(i, 1_300) }],
      });
    // Warm-up: one request teaches the real limits.
    await send(0);
    const warm = sim.stats().totals.rateLimited;
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => send(i + 1)));
    expect(results).toHaveLength(24);
    // The work exceeded one bucket: some requests had to wait for the refill.
    expect(sim.stats().totals.inputTokens).toBeGreaterThan(60_000);
    expect(warm).toBe(0);
    expect(sim.stats().totals.rateLimited).toBe(0);
    expect((await limiter.state(scopeOf(KEY, MODEL))).dimensions.inputTokens?.capacity).toBe(
      60_000,
    );
  });

  it('turns a spend-limit 429 into a final error the SDK does not retry', async () => {
    let calls = 0;
    const fakeFetch = async () => {
      calls++;
      return new Response(
        JSON.stringify({
          type: 'error',
          error: {
            type: 'rate_limit_error',
            message: 'You have reached your specified API usage limits.',
          },
        }),
        { status: 429, headers: { 'content-type': 'application/json' } },
      );
    };
    const limiter = createLimiter({ store: memoryStore() });
    const client = new Anthropic({
      apiKey: KEY,
      maxRetries: 3,
      fetch: rateLimitedFetch(limiter, { fetch: fakeFetch }),
    });
    const err = await client.messages
      .create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(429);
    expect(calls).toBe(1);
    const again = await limiter
      .acquire(scopeOf(KEY, MODEL), { inputTokens: 1 })
      .catch((e: unknown) => e);
    expect((again as { code?: string }).code).toBe('spend_limit');
  });

  it('withRateLimit settles from the Message an SDK call returns', async () => {
    sim = await startSimulator({ port: 0, limits: { rpm: 50, itpm: 40_000, otpm: 8_000 } });
    const limiter = createLimiter({
      store: memoryStore(),
      limits: { requestsPerMinute: 50, inputTokensPerMinute: 40_000, outputTokensPerMinute: 8_000 },
    });
    const client = new Anthropic({ baseURL: sim.url, apiKey: KEY });
    const msg = await withRateLimit(limiter, 'team-a', { inputTokens: 500, maxTokens: 4_000 }, () =>
      client.messages.create({
        model: MODEL,
        max_tokens: 4_000,
        messages: [{ role: 'user', content: prompt(3, 20) }],
      }),
    );
    const s = await limiter.state('team-a');
    expect(s.inFlight).toBe(0);
    expect(s.dimensions.outputTokens?.remaining).toBeGreaterThanOrEqual(
      8_000 - msg.usage.output_tokens - 1,
    );
  });
});
