import { createLimiter, memoryStore, scopeOf } from '@baton/ratelimit';
import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiBackend } from './api-backend.js';
import { createBreakerRegistry } from './breaker.js';
import { limiterGate } from './rate-gate.js';
import { newSessionState } from './session.js';
import { fastStrategies, KEY, sim } from './testing/sim.js';
import { defineTool } from './tools.js';
import { memoryUsageSink, sumUsage } from './usage.js';

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim({
    scenario: {
      name: 'calc',
      turns: [
        { content: [{ type: 'tool_use', name: 'add', input: { a: 2, b: 3 } }] },
        { content: [{ type: 'text', text: '2 + 3 = 5' }] },
      ],
    },
  });
});
afterAll(() => s.close());

describe('a mixed run through limiter, breakers, fallbacks and tools', () => {
  it('usage records sum exactly to the simulator totals (nothing counted twice on retries)', async () => {
    s.reset();
    // Pre-admission faults on every model class, and the limiter reserving and settling each call.
    s.configure({
      faults: 'overloaded@opus:every=3,api-error:every=7,reset-before:every=11,seed=3',
    });
    const limiter = createLimiter({
      store: memoryStore(),
      limits: {
        requestsPerMinute: 10_000,
        inputTokensPerMinute: 10_000_000,
        outputTokensPerMinute: 1_000_000,
      },
    });
    const usage = memoryUsageSink();
    const api = createApiBackend({
      baseURL: s.url,
      apiKey: KEY,
      usageSink: usage,
      rateGate: limiterGate(limiter),
      breakers: createBreakerRegistry({ failureThreshold: 1_000 }),
      strategies: fastStrategies({
        ServiceUnavailable: { attempts: 4 },
        NetworkTimeout: { attempts: 4 },
      }),
    });
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers',
      input: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => String(a + b),
    });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 24; i++) {
      const state = newSessionState({
        conversationId: `m${i}`,
        model: i % 2 === 0 ? 'claude-opus-4-6' : 'claude-haiku-4-5',
        fallbackModels: ['claude-sonnet-4-6'],
        system: i % 3 === 0 ? `Shared instructions. ${'Policy text. '.repeat(1200)}` : undefined,
      });
      jobs.push(
        (async () => {
          await api.run(state, {
            prompt: i % 4 === 0 ? 'compute [[scenario:calc]]' : `question ${i}`,
            tools: [add],
          }).result;
          await api.run(state, { prompt: `follow-up ${i}`, tools: [add] }).result;
        })(),
      );
    }
    const results = await Promise.allSettled(jobs);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const st = s.stats().totals;
    expect(st.faults).toBeGreaterThan(0);
    const t = sumUsage(usage.records);
    expect(usage.records.length).toBe(st.admitted);
    expect(t.inputTokens).toBe(st.inputTokens);
    expect(t.outputTokens).toBe(st.outputTokens);
    expect(t.cacheWrite5mTokens).toBe(st.cacheWrite5mTokens);
    expect(t.cacheWrite1hTokens).toBe(st.cacheWrite1hTokens);
    expect(t.cacheReadTokens).toBe(st.cacheReadTokens);
    expect(new Set(usage.records.map((u) => u.key)).size).toBe(usage.records.length);
    // Fallbacks answered some opus requests, and the records say so.
    expect(
      usage.records.some(
        (u) => u.requestedModel === 'claude-opus-4-6' && u.model === 'claude-sonnet-4-6',
      ),
    ).toBe(true);
    // The limiter saw every admitted request settled: nothing left in flight.
    for (const m of ['claude-opus-4-6', 'claude-haiku-4-5', 'claude-sonnet-4-6']) {
      const ls = await limiter.state(scopeOf(KEY, m));
      expect(ls.inFlight).toBe(0);
    }
    limiter.close();
  });
});
