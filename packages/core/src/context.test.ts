import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBackend, apiSummarizer, createApiBackend } from './api-backend.js';
import {
  createContextManager,
  SUMMARY_PREFIX,
  type Summarizer,
  toolUnits,
  truncatingSummarizer,
} from './context.js';
import { type ChatMessage, newSessionState, type SessionState } from './session.js';
import { fastStrategies, KEY, recorder, sim } from './testing/sim.js';
import { memoryUsageSink, sumUsage } from './usage.js';

const FACT = 'The launch code is AZURE-7421.';

function filler(n: number): string {
  return `Filler paragraph ${n}. ${'Nothing important happens here, just words. '.repeat(40)}`;
}

function chat(state: SessionState, pairs: number, est: (c: ChatMessage['content']) => number) {
  for (let i = 0; i < pairs; i++) {
    for (const m of [
      { role: 'user' as const, content: filler(i) },
      { role: 'assistant' as const, content: `Noted ${i}.` },
    ]) {
      state.messages.push(m);
      state.meta.push({ tokens: est(m.content) });
      state.messageCount++;
    }
  }
}

describe('context manager (no model)', () => {
  it('groups a tool_use with its tool_result and never separates them', () => {
    const msgs: ChatMessage[] = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }] },
      { role: 'assistant', content: 'done' },
    ];
    expect(toolUnits(msgs)).toEqual([
      [0, 0],
      [1, 2],
      [3, 3],
    ]);
  });

  it('compacts past the threshold: keeps pinned and recent messages, summarises the rest, counts saved tokens', async () => {
    const cm = createContextManager({
      summarizer: truncatingSummarizer(40),
      windowTokens: () => 4_000,
      keepRecent: 4,
    });
    const state = newSessionState({ conversationId: 'c', model: 'm' });
    state.messages.push({ role: 'user', content: FACT });
    state.meta.push({ tokens: cm.estimate(FACT), pinned: true });
    state.messages.push({ role: 'assistant', content: 'Understood.' });
    state.meta.push({ tokens: cm.estimate('Understood.') });
    chat(state, 12, cm.estimate);
    // a tool chain in the middle, with a long result
    state.messages.push(
      { role: 'user', content: 'look it up' },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'tu1', name: 'search', input: { q: 'x' } }],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'result '.repeat(2000) }],
      },
    );
    for (const m of state.messages.slice(-3)) state.meta.push({ tokens: cm.estimate(m.content) });
    chat(state, 2, cm.estimate);
    expect(cm.needsCompaction(state, 'm')).toBe(true);
    const before = cm.tokens(state);
    const r = await cm.compact(state, { model: 'm' });
    expect(r).toBeDefined();
    expect(r?.beforeTokens).toBe(before);
    expect(r?.savedTokens).toBe(before - cm.tokens(state));
    expect(r?.savedTokens).toBeGreaterThan(before / 2);
    expect(cm.needsCompaction(state, 'm')).toBe(false);
    const all = JSON.stringify(state.messages);
    expect(all).toContain(FACT); // pinned
    expect(all).toContain(SUMMARY_PREFIX);
    expect(all).toContain('Noted 1.'); // recent
    // every tool_use is still followed by its tool_result
    for (let i = 0; i < state.messages.length; i++) {
      const m = state.messages[i] as ChatMessage;
      if (typeof m.content !== 'string' && m.content.some((b) => b.type === 'tool_use')) {
        const next = state.messages[i + 1]?.content;
        expect(Array.isArray(next) && next[0]?.type).toBe('tool_result');
      }
    }
    expect(state.messages[0]?.role).toBe('user');
    expect(state.compactions).toBe(1);
    expect(state.meta).toHaveLength(state.messages.length);
  });
});

/**
 * Against the simulator in recall mode: every reply is drawn from what its request contains — a
 * question is answered only with statements present in the request, a summary request gets the
 * sentences of its transcript. So the launch code comes back only if compaction kept it.
 */
describe('compaction against the simulator', () => {
  let s: RunningSimulator;
  beforeAll(async () => {
    s = await sim({ maxBodyBytes: 40_000, response: { reply: 'recall' } });
  });
  afterAll(() => s.close());

  /** A summarizer that deliberately loses everything it is given. */
  const forgetful: Summarizer = { summarize: async () => 'We discussed filler topics.' };

  function setup(window: number, summarizer?: Summarizer) {
    const usage = memoryUsageSink();
    const summarizerBackend = createApiBackend({ baseURL: s.url, apiKey: KEY, usageSink: usage });
    const context = createContextManager({
      summarizer:
        summarizer ??
        apiSummarizer(summarizerBackend, { model: 'claude-haiku-4-5', maxTranscriptChars: 20_000 }),
      windowTokens: () => window,
      keepRecent: 2,
    });
    const api = createApiBackend({
      baseURL: s.url,
      apiKey: KEY,
      usageSink: usage,
      context,
      strategies: fastStrategies(),
    });
    return { api, usage, context };
  }

  /** States the fact, then grows the conversation with filler until compaction has run. */
  async function grow(api: ApiBackend, ev: ReturnType<typeof recorder>) {
    const state = newSessionState({ conversationId: 'grow', model: 'claude-sonnet-4-6' });
    await api.run(state, { prompt: `Please remember this. ${FACT}`, onEvent: ev.on }).result;
    for (let i = 0; i < 12; i++) await api.run(state, { prompt: filler(i), onEvent: ev.on }).result;
    return state;
  }

  it('a conversation past the threshold is compacted by a cheaper model, keeps its early fact and continues', async () => {
    s.reset();
    const { api, usage } = setup(6_000);
    const ev = recorder();
    const state = await grow(api, ev);
    const compactions = ev.of('compaction');
    expect(compactions.length).toBeGreaterThan(0);
    expect(compactions.every((c) => c.savedTokens > 0)).toBe(true);
    expect(JSON.stringify(state.messages[0]?.content)).toContain(SUMMARY_PREFIX);
    // Recall answers only from the request: the fact is there because compaction kept it.
    const r = await api.run(state, { prompt: 'What is the launch code?', onEvent: ev.on }).result;
    expect(r.text).toBe(FACT);
    // The summaries were written by haiku and are accounted like any other response.
    expect(usage.records.some((u) => u.model === 'claude-haiku-4-5')).toBe(true);
    const st = s.stats().totals;
    const t = sumUsage(usage.records);
    expect(t.inputTokens).toBe(st.inputTokens);
    expect(t.outputTokens).toBe(st.outputTokens);
  });

  it('a 413 triggers compaction and a successful retry', async () => {
    s.reset();
    const { api } = setup(1_000_000); // never compacts on its own
    const state = newSessionState({ conversationId: 'big', model: 'claude-sonnet-4-6' });
    await api.run(state, { prompt: `Please remember this. ${FACT}` }).result;
    chat(state, 30, (c) => Math.ceil(JSON.stringify(c).length / 3.5)); // ~50 KB of history
    const ev = recorder();
    const r = await api.run(state, { prompt: 'What is the launch code?', onEvent: ev.on }).result;
    expect(ev.of('retry')[0]?.error.code).toBe('ContextTooLarge');
    expect(ev.of('retry')[0]?.error.status).toBe(413);
    expect(ev.of('compaction')).toHaveLength(1);
    // A forced compaction keeps no optional message: the fact reached the model only through
    // haiku's summary, which the simulator drew from the transcript it was given.
    expect(state.summary).toContain(FACT);
    const carriers = state.messages
      .slice(0, -1) // the answer
      .filter((m) => JSON.stringify(m.content).includes('AZURE-7421'));
    expect(carriers).toHaveLength(1);
    expect(JSON.stringify(carriers[0]?.content)).toContain(SUMMARY_PREFIX);
    expect(r.text).toBe(FACT);
    expect(JSON.stringify(state.messages).length).toBeLessThan(40_000);
  });

  it('a forced compaction with a summarizer that loses everything keeps a pinned fact, and only a pinned one', async () => {
    for (const pin of [true, false]) {
      s.reset();
      const { api } = setup(1_000_000, forgetful);
      const state = newSessionState({ conversationId: `pin-${pin}`, model: 'claude-sonnet-4-6' });
      await api.run(state, { prompt: FACT, pin }).result;
      chat(state, 30, (c) => Math.ceil(JSON.stringify(c).length / 3.5));
      const ev = recorder();
      const r = await api.run(state, { prompt: 'What is the launch code?', onEvent: ev.on }).result;
      expect(ev.of('compaction')).toHaveLength(1);
      if (pin) expect(r.text).toBe(FACT);
      else expect(r.text).toBe('Nothing in this conversation answers that question.');
    }
  });
});
