import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from './messages.js';
import { replySubject, simulatedText } from './reply-text.js';
import { Rng } from './rng.js';
import { countText } from './tokens.js';

const request = (messages: unknown[]) =>
  parseMessagesRequest({ model: 'm', max_tokens: 100, messages }, { requireMaxTokens: true });

const ask = request([{ role: 'user', content: 'Write a haiku about autumn leaves, please.' }]);

describe('simulated reply text', () => {
  it('says it is simulated and names what the request asked about', () => {
    const text = simulatedText(ask, new Rng(1), 200);
    expect(
      text.startsWith(
        "This is a simulated reply from Baton's simulator to your request about “Write a haiku about autumn leaves, please”.",
      ),
    ).toBe(true);
    // Readable sentences: every sentence before the cut starts with a capital and ends with a stop.
    const whole = text.split(/(?<=\.)\s+/).slice(0, -1);
    expect(whole.length).toBeGreaterThan(3);
    for (const s of whole) expect(s).toMatch(/^[A-Z“].*\.$/);
  });

  it('has exactly the target length in tokens, and is deterministic for a seed', () => {
    for (let n = 1; n <= 400; n++) expect(countText(simulatedText(ask, new Rng(n), n))).toBe(n);
    expect(countText(simulatedText(ask, new Rng(7), 5000))).toBe(5000);
    expect(simulatedText(ask, new Rng(1), 300)).toBe(simulatedText(ask, new Rng(1), 300));
    expect(simulatedText(ask, new Rng(1), 300)).not.toBe(simulatedText(ask, new Rng(2), 300));
  });

  it('quotes the opening words of the last user text, without scenario markers', () => {
    const long = request([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content:
          '[[scenario:x]] Please refactor the billing module so that invoices round half to even. Thanks.',
      },
    ]);
    expect(replySubject(long)).toBe(
      '“Please refactor the billing module so that invoices round half…”',
    );
    const tools = request([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done' }] },
    ]);
    expect(replySubject(tools)).toBe('the tool results you sent');
    expect(simulatedText(tools, new Rng(1), 40)).toMatch(
      /to your request about the tool results you sent\./,
    );
    const empty = request([{ role: 'user', content: [{ type: 'text', text: '  ' }] }]);
    expect(replySubject(empty)).toBeUndefined();
    expect(simulatedText(empty, new Rng(1), 40)).toMatch(
      /^This is a simulated reply from Baton's simulator to your request\. /,
    );
  });

  it('words a thinking block as thinking', () => {
    expect(simulatedText(ask, new Rng(1), 30, 'thinking')).toMatch(
      /^This is simulated thinking by Baton's simulator on your request about “Write/,
    );
  });
});
