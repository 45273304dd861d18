import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countText, type RunningSimulator } from '../src/index.js';
import { client, expectError, raw, sim } from './helpers.js';

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim({ response: { outputTokens: { type: 'fixed', tokens: 60 } } });
});
afterAll(() => s.close());

const FACT = 'The launch code is AZURE-7421.';
const conversation = (fact: string) => [
  { role: 'user' as const, content: `Please remember this. ${fact}` },
  { role: 'assistant' as const, content: 'Noted.' },
  { role: 'user' as const, content: 'What is the launch code?' },
];

function textOf(m: { content: Array<{ type: string; text?: string }> }): string {
  return m.content.map((b) => b.text ?? '').join('');
}

describe('unscripted replies through the real SDK', () => {
  it('generated: readable, says it is simulated, refers to the request, usage counts its tokens', async () => {
    const c = client(s);
    const m = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 1000,
      messages: [{ role: 'user', content: 'Draft a release note for version 2.3' }],
    });
    const text = textOf(m);
    expect(text).toMatch(
      /^This is a simulated reply from Baton's simulator to your request about “Draft a release note for version 2\.3”\. [A-Z]/,
    );
    expect(m.usage.output_tokens).toBe(60);
    expect(countText(text)).toBe(60);
    const streamed = await c.messages
      .stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'Draft a release note' }],
      })
      .finalMessage();
    expect(streamed.stop_reason).toBe('max_tokens');
    expect(streamed.usage.output_tokens).toBe(10);
    expect(textOf(streamed)).toBe("This is a simulated reply from Baton's");
  });

  it('recall, by the x-sim-reply header: the answer holds a fact only when the request does', async () => {
    const c = client(s, { defaultHeaders: { 'x-sim-reply': 'recall' } });
    const kept = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      messages: conversation(FACT),
    });
    expect(textOf(kept)).toBe(FACT);
    expect(kept.usage.output_tokens).toBe(countText(FACT));
    const lost = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      messages: conversation('The weather is fine.'),
    });
    expect(textOf(lost)).toBe('Nothing in this conversation answers that question.');
    // max_tokens still cuts a recalled answer.
    const cut = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 3,
      messages: conversation(FACT),
    });
    expect(cut.stop_reason).toBe('max_tokens');
    expect(textOf(cut)).toBe('The launch');
  });

  it('recall as the configured mode (POST /_sim/config), and a bad header is a 400', async () => {
    expect((await raw(s, '/_sim/config', { response: { reply: 'recall' } })).status).toBe(200);
    try {
      const m = await client(s).messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 200,
        messages: conversation(FACT),
      });
      expect(textOf(m)).toBe(FACT);
      const g = await client(s, { defaultHeaders: { 'x-sim-reply': 'generated' } }).messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 200, messages: conversation(FACT) },
      );
      expect(textOf(g)).toMatch(/^This is a simulated reply/);
      expect(
        ((await raw(s, '/_sim/config')).json() as { response: { reply: string } }).response.reply,
      ).toBe('recall');
    } finally {
      await raw(s, '/_sim/config', { response: { reply: 'generated' } });
    }
    expect((await raw(s, '/_sim/config', { response: { reply: 'echo' } })).status).toBe(400);
    const bad = await raw(
      s,
      '/v1/messages',
      { model: 'claude-haiku-4-5', max_tokens: 20, messages: conversation(FACT) },
      { 'x-sim-reply': 'echo' },
    );
    expect(bad.status).toBe(400);
    expectError(
      bad.json(),
      'invalid_request_error',
      /^x-sim-reply: must be one of generated, recall/,
    );
  });
});
