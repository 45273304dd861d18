import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from './messages.js';
import {
  analyzePrompt,
  countText,
  TOOLS_PREAMBLE,
  truncateToTokens,
  UNKNOWN_IMAGE_TOKENS,
} from './tokens.js';

const ENGLISH = `Prompt caching optimizes your API usage by allowing resuming from specific prefixes in
your prompts. This significantly reduces processing time and costs for repetitive tasks or prompts
with consistent elements. When you send a request with prompt caching enabled, the system checks if
a prompt prefix, up to a specified cache breakpoint, is already cached from a recent query. If found,
it uses the cached version, reducing processing time and costs. Otherwise, it processes the full
prompt and caches the prefix once the response begins.`;

function req(body: Record<string, unknown>) {
  return parseMessagesRequest(
    { model: 'claude-sonnet-4-5', max_tokens: 10, ...body },
    { requireMaxTokens: true },
  );
}

describe('countText', () => {
  it('has a realistic ratio on English prose (3.5–4.2 chars/token)', () => {
    const ratio = ENGLISH.length / countText(ENGLISH);
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.2);
  });

  it('counts known strings exactly', () => {
    expect(countText('')).toBe(0);
    expect(countText('Hello')).toBe(1);
    expect(countText('Hello, world')).toBe(3);
    expect(countText('12345678')).toBe(3);
    expect(countText('你好世界')).toBe(4);
    expect(countText('🎉')).toBe(2);
    expect(countText('internationalization')).toBe(5);
  });

  it('is deterministic and (sub)additive at whitespace boundaries', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(countText(a)).toBe(countText(a));
        const joined = `${a}\n${b}`;
        expect(countText(joined)).toBeLessThanOrEqual(countText(a) + countText(b) + 1);
      }),
    );
  });

  it('truncateToTokens returns the longest prefix within the budget', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.nat(80), (s, n) => {
        const t = truncateToTokens(s, n);
        expect(s.startsWith(t)).toBe(true);
        expect(countText(t)).toBeLessThanOrEqual(n);
        if (t.length < s.length) expect(countText(s)).toBeGreaterThan(n);
      }),
    );
  });
});

describe('analyzePrompt', () => {
  it('counts system, tools, tool_use and tool_result blocks', () => {
    const base = analyzePrompt(req({ messages: [{ role: 'user', content: 'Hi' }] }), false).total;
    const withSystem = analyzePrompt(
      req({ system: 'Be brief and precise.', messages: [{ role: 'user', content: 'Hi' }] }),
      false,
    ).total;
    expect(withSystem).toBeGreaterThan(base + countText('Be brief and precise.'));
    const tool = {
      name: 'get_weather',
      description: 'Get the weather',
      input_schema: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const withTools = analyzePrompt(
      req({ tools: [tool], messages: [{ role: 'user', content: 'Hi' }] }),
      false,
    ).total;
    expect(withTools - base).toBeGreaterThan(
      TOOLS_PREAMBLE + countText(JSON.stringify(tool.input_schema)),
    );
    const conv = analyzePrompt(
      req({
        tools: [tool],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny, 24 degrees' },
            ],
          },
        ],
      }),
      false,
    ).total;
    expect(conv).toBeGreaterThan(
      withTools + countText('Sunny, 24 degrees') + countText('{"city":"Paris"}'),
    );
  });

  it('counts images by their dimensions', () => {
    // 1x1 PNG header padded: width/height at bytes 16..24
    const png = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
    png.writeUInt32BE(750, 16);
    png.writeUInt32BE(1000, 20);
    const image = {
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') },
    };
    const small = analyzePrompt(req({ messages: [{ role: 'user', content: 'x' }] }), false).total;
    const withImage = analyzePrompt(
      req({ messages: [{ role: 'user', content: [image, { type: 'text', text: 'x' }] }] }),
      false,
    ).total;
    expect(withImage - small).toBe(1000);
    const url = { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } };
    const withUrl = analyzePrompt(
      req({ messages: [{ role: 'user', content: [url, { type: 'text', text: 'x' }] }] }),
      false,
    ).total;
    expect(withUrl - small).toBe(UNKNOWN_IMAGE_TOKENS);
  });

  it('ignores thinking blocks of earlier assistant turns', () => {
    const thinking = {
      type: 'thinking',
      thinking: 'a long chain of thought '.repeat(20),
      signature: 'sig',
    };
    const a = analyzePrompt(
      req({
        messages: [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: [thinking, { type: 'text', text: 'ok' }] },
          { role: 'user', content: 'two' },
          { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
          { role: 'user', content: 'three' },
        ],
      }),
      false,
    ).total;
    const b = analyzePrompt(
      req({
        messages: [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
          { role: 'user', content: 'two' },
          { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
          { role: 'user', content: 'three' },
        ],
      }),
      false,
    ).total;
    expect(a).toBe(b);
  });
});
