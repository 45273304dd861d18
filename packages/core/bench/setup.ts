/**
 * What bench:core (core.bench.ts) and bench:cpu (cpu.bench.ts) share: the request both kinds
 * send, the built package, the SDK client and the Baton client around it (limiter with limits
 * far above the load, breaker, batching usage sink, session pool).
 * Run under plain Node (type stripping), so erasable TypeScript only.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createLimiter, memoryStore } from '@baton/ratelimit';
import type * as Core from '../src/index.js';

// The package's own build (its `exports`), typed from the sources.
const entry = '@baton/core';
export const core = (await import(entry)) as typeof Core;

export const KEY = 'sk-bench';
export const MODEL = 'claude-haiku-4-5';
export const SYSTEM = 'You are terse.';
export const PROMPT = 'Say something short.';
/** The body Baton builds for this turn: system and prompt as text blocks, no cache_control. */
export const body = {
  model: MODEL,
  max_tokens: 256,
  system: [{ type: 'text' as const, text: SYSTEM }],
  messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: PROMPT }] }],
};

/** The SDK client both kinds go through (`fetch`: the SDK's default when not given). */
export function createSdk(options: { baseURL: string; fetch?: typeof fetch }): Anthropic {
  return new Anthropic({
    baseURL: options.baseURL,
    apiKey: KEY,
    maxRetries: 0,
    fetch: options.fetch,
  });
}

/** Plain SDK: one streamed request, consumed to the end. */
export function plainRequest(sdk: Anthropic): () => Promise<void> {
  return async () => {
    const stream = await sdk.messages.create({ ...body, stream: true });
    for await (const _ of stream) {
    }
  };
}

/**
 * Baton over `sdk`: limiter (limits high), breaker, batching usage sink writing to `write`,
 * session pool; `request` runs the prompt once in a new conversation (lease, run, release).
 */
export function createBaton(
  sdk: Anthropic,
  write: Parameters<typeof core.batchingUsageSink>[0],
): {
  limiter: ReturnType<typeof createLimiter>;
  sink: ReturnType<typeof core.batchingUsageSink>;
  pool: ReturnType<typeof core.createSessionPool>;
  request: () => Promise<void>;
} {
  const limiter = createLimiter({
    store: memoryStore(),
    limits: {
      requestsPerMinute: 100_000_000,
      inputTokensPerMinute: 1e12,
      outputTokensPerMinute: 1e12,
    },
  });
  const sink = core.batchingUsageSink(write, { maxBatch: 500, flushIntervalMs: 200 });
  const api = core.createApiBackend({
    client: sdk,
    apiKey: KEY,
    rateGate: core.limiterGate(limiter),
    breakers: core.createBreakerRegistry(),
    usageSink: sink,
  });
  const pool = core.createSessionPool({ api, maxSessions: 1_000, maxIdle: 1_000 });
  let conv = 0;
  const request = async () => {
    const lease = await pool.acquire(`conv-${conv++}`, {
      model: MODEL,
      maxTokens: 256,
      system: SYSTEM,
    });
    await lease.run({ prompt: PROMPT, cache: false }).result;
    await lease.release();
  };
  return { limiter, sink, pool, request };
}
