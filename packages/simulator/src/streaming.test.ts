import { describe, expect, it } from 'vitest';
import { finalizeContent } from './responder.js';
import { chunkText, streamEvents, usageJson } from './streaming.js';

describe('streamEvents', () => {
  it('emits the real event sequence with deltas that rebuild the content', () => {
    const fin = finalizeContent(
      [
        { type: 'thinking', thinking: 'Considering the request carefully.', signature: 'c2ln' },
        {
          type: 'text',
          text: 'Here is a fairly long answer that needs several text deltas to stream out.',
        },
        {
          type: 'tool_use',
          id: 'toolu_01',
          name: 'Write',
          input: { file_path: '/tmp/a.txt', content: 'hello world '.repeat(5) },
        },
      ],
      'tool_use',
      [],
      10_000,
      false,
    );
    const events = streamEvents(
      'msg_1',
      'claude-opus-4-5',
      { ...fin, ttftMs: 0, tokensPerSecond: 0 },
      usageJson(10, fin.outputTokens, 0, 0, 0),
    );
    const parsed = events.map((e) => {
      const [ev, data] = e.text.split('\n');
      return { event: ev?.slice(7), data: JSON.parse(data?.slice(6) ?? 'null') };
    });
    const names = parsed.map((p) => p.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    for (const p of parsed) expect(p.data.type).toBe(p.event);
    let thinking = '';
    let text = '';
    let json = '';
    let signature = '';
    for (const p of parsed) {
      if (p.event !== 'content_block_delta') continue;
      const d = p.data.delta;
      if (d.type === 'thinking_delta') thinking += d.thinking;
      if (d.type === 'signature_delta') signature = d.signature;
      if (d.type === 'text_delta') text += d.text;
      if (d.type === 'input_json_delta') json += d.partial_json;
    }
    expect(thinking).toBe('Considering the request carefully.');
    expect(signature).toBe('c2ln');
    expect(text).toBe('Here is a fairly long answer that needs several text deltas to stream out.');
    expect(JSON.parse(json)).toEqual({
      file_path: '/tmp/a.txt',
      content: 'hello world '.repeat(5),
    });
    const delta = parsed.at(-2)?.data;
    expect(delta.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
    expect(delta.usage.output_tokens).toBe(fin.outputTokens);
  });

  it('a paced reply streams in deltas of a few tokens, an unpaced one in larger ones', () => {
    const text =
      'A paced reply should flow visibly, a few tokens at a time, as the real API streams it out.';
    const fin = finalizeContent([{ type: 'text', text }], 'end_turn', [], 10_000, false);
    const deltas = (tokensPerSecond: number) =>
      streamEvents(
        'msg_1',
        'claude-opus-4-5',
        { ...fin, ttftMs: 0, tokensPerSecond },
        usageJson(10, fin.outputTokens, 0, 0, 0),
      )
        .filter((e) => e.text.startsWith('event: content_block_delta'))
        .map((e) => ({
          text: JSON.parse(e.text.split('\n')[1]?.slice(6) ?? '').delta.text as string,
          tokens: e.tokens,
        }));
    const paced = deltas(50);
    const unpaced = deltas(0);
    expect(paced.map((d) => d.text).join('')).toBe(text);
    expect(unpaced.map((d) => d.text).join('')).toBe(text);
    expect(paced.length).toBeGreaterThan(unpaced.length);
    for (const d of paced) expect(d.text.length).toBeLessThanOrEqual(16);
    // Each delta's pacing share adds up to the reply's output tokens (±1 per delta for rounding).
    const sum = paced.reduce((n, d) => n + d.tokens, 0);
    expect(Math.abs(sum - fin.outputTokens)).toBeLessThanOrEqual(paced.length);
  });

  it('chunkText splits and rejoins losslessly', () => {
    const s = 'word '.repeat(100);
    const chunks = chunkText(s, 48);
    expect(chunks.join('')).toBe(s);
    expect(chunks.every((c) => c.length <= 48)).toBe(true);
  });
});
