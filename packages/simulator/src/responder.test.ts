import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from './messages.js';
import { DEFAULT_RESPONSE } from './options.js';
import { defaultContent, drawLength, finalizeContent, thinkingSignature } from './responder.js';
import { Rng } from './rng.js';
import { countText } from './tokens.js';

const request = (body: Record<string, unknown>) =>
  parseMessagesRequest(
    { model: 'm', max_tokens: 4000, messages: [{ role: 'user', content: 'x' }], ...body },
    { requireMaxTokens: true },
  );

describe('generated replies', () => {
  it('draw lengths from the configured distribution', () => {
    const rng = new Rng(3);
    expect(drawLength({ type: 'fixed', tokens: 42 }, rng)).toBe(42);
    const xs = Array.from({ length: 2000 }, () =>
      drawLength({ type: 'uniform', min: 10, max: 20 }, rng),
    );
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(20);
    const ln = Array.from({ length: 2000 }, () =>
      drawLength({ type: 'lognormal', median: 100, sigma: 0.5 }, rng),
    ).sort((a, b) => a - b);
    expect(ln[1000]).toBeGreaterThan(85);
    expect(ln[1000]).toBeLessThan(115);
  });

  it('include a signed thinking block when thinking is enabled', () => {
    const r = request({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    const blocks = defaultContent(r, DEFAULT_RESPONSE, new Rng(1));
    expect(blocks.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(blocks[0]?.signature).toBe(thinkingSignature(blocks[0]?.thinking as string));
    expect(blocks[0]?.thinking).toMatch(/^This is simulated thinking by Baton's simulator/);
  });

  it('have the configured length, or in recall mode say what the request contains', () => {
    const r = request({ messages: [{ role: 'user', content: 'The sky is green. Why?' }] });
    const fixed = { ...DEFAULT_RESPONSE, outputTokens: { type: 'fixed' as const, tokens: 77 } };
    const [generated] = defaultContent(r, fixed, new Rng(1));
    expect(countText(generated?.text as string)).toBe(77);
    expect(generated?.text).toMatch(/^This is a simulated reply/);
    const [recalled] = defaultContent(r, fixed, new Rng(1), 'recall');
    expect(recalled?.text).toBe('Nothing in this conversation answers that question.');
    const [configured] = defaultContent(r, { ...fixed, reply: 'recall' }, new Rng(1));
    expect(configured?.text).toBe(recalled?.text);
  });
});

describe('finalizeContent', () => {
  const tool = {
    type: 'tool_use',
    id: 'toolu_1',
    name: 'Write',
    input: { content: 'x'.repeat(40) },
  };

  it('stops at the first stop sequence', () => {
    const f = finalizeContent(
      [{ type: 'text', text: 'Hello there. STOP and more' }, tool],
      'tool_use',
      ['more', 'STOP'],
      1000,
      false,
    );
    expect(f.content).toEqual([{ type: 'text', text: 'Hello there. ' }]);
    expect(f.stopReason).toBe('stop_sequence');
    expect(f.stopSequence).toBe('STOP');
    expect(f.outputTokens).toBe(countText('Hello there. '));
  });

  it('truncates at max_tokens and drops blocks that do not fit', () => {
    const text = 'one two three four five six seven eight nine ten';
    const f = finalizeContent([{ type: 'text', text }], 'end_turn', [], 4, false);
    expect(f.stopReason).toBe('max_tokens');
    expect(f.outputTokens).toBe(4);
    expect(text.startsWith(f.content[0]?.text as string)).toBe(true);
    const g = finalizeContent([{ type: 'text', text: 'ok' }, tool], 'tool_use', [], 5, false);
    expect(g.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(g.stopReason).toBe('max_tokens');
    const h = finalizeContent([{ type: 'text', text: 'ok' }, tool], 'tool_use', [], 5, true);
    expect(h.stopReason).toBe('model_context_window_exceeded');
    const k = finalizeContent([{ type: 'text', text: 'ok' }, tool], 'tool_use', [], 1000, false);
    expect(k.stopReason).toBe('tool_use');
    expect(k.content).toHaveLength(2);
  });
});
