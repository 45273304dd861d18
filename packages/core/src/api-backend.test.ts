import { DEFAULT_RESPONSE, type RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiBackend } from './api-backend.js';
import { createBreakerRegistry } from './breaker.js';
import { BatonError } from './errors.js';
import { newSessionState } from './session.js';
import { fastStrategies, KEY, recorder, sim } from './testing/sim.js';
import { defineTool } from './tools.js';
import { memoryUsageSink, sumUsage } from './usage.js';

let s: RunningSimulator;

beforeAll(async () => {
  s = await sim({
    scenario: {
      scenarios: [
        {
          name: 'weather',
          turns: [
            {
              content: [
                { type: 'text', text: 'Let me look that up.' },
                { type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } },
              ],
            },
            { content: [{ type: 'text', text: 'It is 4 °C in Oslo.' }] },
          ],
        },
        {
          name: 'thinker',
          turns: [
            {
              content: [
                { type: 'thinking', thinking: 'The user wants a number.' },
                { type: 'text', text: '42' },
              ],
            },
          ],
        },
      ],
    },
  });
});
afterAll(() => s.close());
beforeEach(() => s.reset());

function backend(extra: Parameters<typeof createApiBackend>[0] = {}) {
  const usage = memoryUsageSink();
  const b = createApiBackend({
    baseURL: s.url,
    apiKey: KEY,
    usageSink: usage,
    strategies: fastStrategies(),
    streamIdleTimeoutMs: 2_000,
    ...extra,
  });
  return { b, usage };
}

describe('api backend', () => {
  it('streams text deltas, records one priced usage record per response, matching the simulator', async () => {
    const { b, usage } = backend();
    const state = newSessionState({ conversationId: 'c1', model: 'claude-sonnet-4-6' });
    const ev = recorder();
    const events = [];
    const run = b.run(state, { prompt: 'Hello there', onEvent: ev.on });
    for await (const e of run) events.push(e);
    const result = await run.result;
    expect(events.at(-1)?.type).toBe('result');
    const text = ev
      .of('text')
      .map((e) => e.text)
      .join('');
    expect(text.length).toBeGreaterThan(0);
    expect(result.text).toBe(text);
    expect(result.stopReason).toBe('end_turn');
    expect(usage.records).toHaveLength(1);
    const rec = usage.records[0];
    expect(rec?.requestId).toMatch(/^req_/);
    expect(rec?.messageId).toMatch(/^msg_/);
    expect(rec?.model).toBe('claude-sonnet-4-6');
    expect(rec?.status).toBe('ok');
    expect(rec?.ttftMs).not.toBeNull();
    const st = s.stats().totals;
    expect(rec?.inputTokens).toBe(st.inputTokens);
    expect(rec?.outputTokens).toBe(st.outputTokens);
    // Sonnet 4.5: $3 in / $15 out per MTok (+ cache), exactly.
    const expected =
      BigInt(rec?.inputTokens ?? 0) * 3_000_000n +
      BigInt(rec?.outputTokens ?? 0) * 15_000_000n +
      BigInt(rec?.cacheWrite5mTokens ?? 0) * 3_750_000n +
      BigInt(rec?.cacheReadTokens ?? 0) * 300_000n;
    expect(BigInt(Math.round(Number(rec?.costUsd) * 1e12))).toBe(expected);
    expect(state.messages).toHaveLength(2);
    expect(state.turns).toBe(1);
    expect(state.costUsd).toBe(rec?.costUsd);
  });

  it('runs the tool loop with a zod-typed tool and sends the result back', async () => {
    const { b, usage } = backend();
    const calls: unknown[] = [];
    const weather = defineTool({
      name: 'get_weather',
      description: 'Current weather of a city',
      input: z.object({ city: z.string() }),
      run: ({ city }) => {
        calls.push(city);
        return `4 °C and clear in ${city}`;
      },
    });
    const state = newSessionState({ conversationId: 'c2', model: 'claude-haiku-4-5' });
    const ev = recorder();
    const result = await b.run(state, {
      prompt: 'Weather in Oslo? [[scenario:weather]]',
      tools: [weather],
      onEvent: ev.on,
    }).result;
    expect(calls).toEqual(['Oslo']);
    expect(ev.of('tool_call')).toEqual([
      expect.objectContaining({ name: 'get_weather', input: { city: 'Oslo' } }),
    ]);
    expect(ev.of('tool_result')[0]).toMatchObject({
      content: '4 °C and clear in Oslo',
      isError: false,
    });
    expect(result.text).toBe('It is 4 °C in Oslo.');
    expect(result.turns).toBe(2);
    expect(usage.records).toHaveLength(2);
    // user, assistant(tool_use), user(tool_result), assistant
    expect(state.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const tr = state.messages[2]?.content;
    expect(Array.isArray(tr) && tr[0]?.type).toBe('tool_result');
    const totals = sumUsage(usage.records);
    expect(totals.inputTokens).toBe(s.stats().totals.inputTokens);
    expect(totals.outputTokens).toBe(s.stats().totals.outputTokens);
  });

  it('stops at max turns, at the budget, and on abort', async () => {
    const { b } = backend();
    const loopTool = defineTool({
      name: 'get_weather',
      description: 'weather',
      input: z.object({ city: z.string() }),
      run: () => 'cold',
    });
    const st1 = newSessionState({ conversationId: 'c3', model: 'claude-haiku-4-5' });
    const r1 = await b.run(st1, { prompt: '[[scenario:weather]]', tools: [loopTool], maxTurns: 1 })
      .result;
    expect(r1.stopReason).toBe('max_turns');
    expect(r1.turns).toBe(1);

    const st2 = newSessionState({ conversationId: 'c4', model: 'claude-haiku-4-5' });
    const r2 = await b.run(st2, {
      prompt: '[[scenario:weather]]',
      tools: [loopTool],
      maxBudgetUsd: '0.000001',
    }).result;
    expect(r2.stopReason).toBe('budget');
    expect(r2.turns).toBe(1);

    const ac = new AbortController();
    ac.abort();
    const st3 = newSessionState({ conversationId: 'c5', model: 'claude-haiku-4-5' });
    const r3 = await b.run(st3, { prompt: 'hi', signal: ac.signal }).result;
    expect(r3.stopReason).toBe('aborted');
    expect(s.stats().totals.requests).toBe(2);
  });

  it('an abort in the middle of a stream ends the run as aborted, and the charged response is recorded once', async () => {
    s.configure({
      response: { tokensPerSecond: 200, outputTokens: { type: 'fixed', tokens: 200 } },
    });
    try {
      const { b, usage } = backend();
      const ac = new AbortController();
      const state = newSessionState({ conversationId: 'c-abort', model: 'claude-haiku-4-5' });
      const ev = recorder();
      const r = await b.run(state, {
        prompt: 'Tell me a long story.',
        signal: ac.signal,
        onEvent: (e) => {
          ev.on(e);
          if (e.type === 'text') ac.abort();
        },
      }).result;
      expect(r.stopReason).toBe('aborted');
      expect(r.turns).toBe(0);
      // The partial answer is not taken for a response: no assistant message in the history.
      expect(state.messages.map((m) => m.role)).toEqual(['user']);
      expect(usage.records).toHaveLength(1);
      expect(usage.records[0]).toMatchObject({ status: 'error' });
      expect(usage.records[0]?.inputTokens).toBe(s.stats().totals.inputTokens);
    } finally {
      const { tokensPerSecond, outputTokens } = DEFAULT_RESPONSE;
      s.configure({ response: { tokensPerSecond, outputTokens } });
    }
  });

  it('a cancelled stream records the output streamed so far, marked as an estimate', async () => {
    s.configure({
      response: { tokensPerSecond: 400, outputTokens: { type: 'fixed', tokens: 400 } },
    });
    s.ledger.enable();
    try {
      const { b, usage } = backend();
      const ac = new AbortController();
      const state = newSessionState({ conversationId: 'c-cancel', model: 'claude-haiku-4-5' });
      let streamed = '';
      const r = await b.run(state, {
        prompt: 'Tell me a long story.',
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type !== 'text') return;
          streamed += e.text;
          // About 40 words, then the user cancels.
          if (streamed.split(/\s+/).length >= 40) ac.abort();
        },
      }).result;
      expect(r.stopReason).toBe('aborted');
      expect(usage.records).toHaveLength(1);
      const rec = usage.records[0]!;
      expect(rec).toMatchObject({ status: 'error', outputEstimated: true });
      // Not message_start's 1 token: about what was streamed (the simulator's own count of the
      // deltas it sent, give or take the estimate's error and the deltas still in the pipe).
      await new Promise((res) => setTimeout(res, 50));
      const [sent] = s.ledger.entries();
      expect(sent!.outcome).toBe('client_closed');
      expect(rec.outputTokens).toBeGreaterThanOrEqual(30);
      expect(rec.outputTokens).toBeGreaterThan(sent!.outputDelivered * 0.6);
      expect(rec.outputTokens).toBeLessThan(sent!.outputDelivered * 1.5);
      expect(rec.outputTokens).toBeLessThan(400);
      expect(Number(rec.costUsd)).toBeGreaterThan(0);
      // A response that ended normally is the server's own count.
      const done = await b.run(
        newSessionState({ conversationId: 'c-done', model: 'claude-haiku-4-5' }),
        {
          prompt: 'Tell me a short story.',
        },
      ).result;
      expect(done.stopReason).not.toBe('aborted');
      expect(usage.records[1]).toMatchObject({
        status: 'ok',
        outputEstimated: false,
        outputTokens: 400,
      });
    } finally {
      const { tokensPerSecond, outputTokens } = DEFAULT_RESPONSE;
      s.configure({ response: { tokensPerSecond, outputTokens } });
    }
  });

  it('a stream cut by the server after message_start is billed as far as it got (estimated), then retried', async () => {
    s.configure({
      response: { outputTokens: { type: 'fixed', tokens: 120 } },
      faults: 'reset-mid:next=1:after=3',
    });
    try {
      const { b, usage } = backend();
      const r = await b.run(
        newSessionState({ conversationId: 'c-cut', model: 'claude-haiku-4-5' }),
        {
          prompt: 'Say something.',
        },
      ).result;
      expect(r.stopReason).toBe('end_turn');
      expect(usage.records.map((u) => [u.status, u.outputEstimated])).toEqual([
        ['error', true],
        ['ok', false],
      ]);
      expect(usage.records[0]!.outputTokens).toBeGreaterThan(1);
      expect(usage.records[0]!.outputTokens).toBeLessThan(120);
      expect(usage.records[1]!.outputTokens).toBe(120);
    } finally {
      const { outputTokens } = DEFAULT_RESPONSE;
      s.configure({ response: { outputTokens }, faults: null });
    }
  });

  it('awaits beforeNextRequest before a request that follows a billed response; its rejection ends the run unsent', async () => {
    s.configure({ faults: 'reset-mid:next=1:after=2' });
    s.ledger.enable();
    try {
      const { b, usage } = backend();
      const seen: number[] = [];
      const r = await b.run(
        newSessionState({ conversationId: 'c-hook', model: 'claude-haiku-4-5' }),
        {
          prompt: 'Say something.',
          beforeNextRequest: async () => {
            // The cut response is recorded, and the retry not yet sent.
            seen.push(usage.records.length, s.ledger.entries().length);
          },
        },
      ).result;
      expect(r.stopReason).toBe('end_turn');
      expect(seen).toEqual([1, 1]);
      expect(usage.records).toHaveLength(2);

      s.reset();
      s.ledger.enable();
      s.configure({ faults: 'reset-mid:next=1:after=2' });
      const failed = await b
        .run(newSessionState({ conversationId: 'c-hook2', model: 'claude-haiku-4-5' }), {
          prompt: 'Say something.',
          beforeNextRequest: async () => {
            throw new Error('usage could not be written');
          },
        })
        .result.catch((e: Error) => e);
      expect((failed as Error).message).toBe('usage could not be written');
      // Only the cut response reached the server: the retry was never sent.
      expect(s.ledger.entries()).toHaveLength(1);
    } finally {
      s.configure({ faults: null });
    }
  });

  it('emits thinking deltas and keeps the thinking block in the history', async () => {
    const { b } = backend();
    const state = newSessionState({
      conversationId: 'c6',
      model: 'claude-opus-4-5',
      thinkingBudget: 1024,
      maxTokens: 2048,
    });
    const ev = recorder();
    const r = await b.run(state, { prompt: '[[scenario:thinker]]', onEvent: ev.on }).result;
    expect(
      ev
        .of('thinking')
        .map((e) => e.thinking)
        .join(''),
    ).toBe('The user wants a number.');
    expect(r.text).toBe('42');
    const content = state.messages[1]?.content;
    expect(Array.isArray(content) && content[0]?.type).toBe('thinking');
  });

  it('marks system, tools and the conversation prefix for caching (later turns read the cache)', async () => {
    const { b, usage } = backend();
    const state = newSessionState({
      conversationId: 'c7',
      model: 'claude-sonnet-4-6',
      system: `You are a careful assistant. ${'Reference material. '.repeat(1500)}`,
    });
    await b.run(state, { prompt: 'first question' }).result;
    await b.run(state, { prompt: 'second question' }).result;
    expect(usage.records[0]?.cacheWrite5mTokens).toBeGreaterThan(0);
    expect(usage.records[1]?.cacheReadTokens).toBeGreaterThan(0);
    const st = s.stats().totals;
    expect(sumUsage(usage.records).cacheReadTokens).toBe(st.cacheReadTokens);
    expect(sumUsage(usage.records).cacheWrite5mTokens).toBe(st.cacheWrite5mTokens);
  });

  it('fails fast on an authentication failure, with a typed error', async () => {
    const { b } = backend({ apiKey: 'sk-wrong', breakers: createBreakerRegistry() });
    s.configure({ apiKeys: [KEY] });
    try {
      const state = newSessionState({ conversationId: 'c8', model: 'claude-haiku-4-5' });
      const ev = recorder();
      const err = await b.run(state, { prompt: 'hi', onEvent: ev.on }).result.catch((e) => e);
      expect(err).toBeInstanceOf(BatonError);
      expect(err.code).toBe('AuthenticationFailure');
      expect(err.status).toBe(401);
      expect(ev.of('retry')).toHaveLength(0);
      expect(ev.of('error')[0]?.error.code).toBe('AuthenticationFailure');
    } finally {
      s.configure({ apiKeys: [] });
    }
  });

  it('sends a run with its own key (a team’s), the backend’s key for the rest', async () => {
    const { b } = backend();
    s.configure({ apiKeys: [KEY, 'sk-team-own'] });
    try {
      const own = await b.run(
        newSessionState({ conversationId: 'k1', model: 'claude-haiku-4-5' }),
        {
          prompt: 'hi',
          apiKey: 'sk-team-own',
        },
      ).result;
      expect(own.error).toBeUndefined();
      await b.run(newSessionState({ conversationId: 'k2', model: 'claude-haiku-4-5' }), {
        prompt: 'hi',
      }).result;
      const byKey = s.stats().byKey;
      expect(Object.keys(byKey).sort()).toEqual([KEY, 'sk-team-own'].sort());
      expect(byKey['sk-team-own']?.['claude-haiku-4-5']?.admitted).toBe(1);
      expect(byKey[KEY]?.['claude-haiku-4-5']?.admitted).toBe(1);
      const refused = await b
        .run(newSessionState({ conversationId: 'k3', model: 'claude-haiku-4-5' }), {
          prompt: 'hi',
          apiKey: 'sk-not-known',
        })
        .result.catch((e) => e);
      expect(refused.code).toBe('AuthenticationFailure');
    } finally {
      s.configure({ apiKeys: [] });
    }
  });
});
