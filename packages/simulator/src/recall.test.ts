import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from './messages.js';
import { keywords, recallQuestion, recallText } from './recall.js';

const request = (body: Record<string, unknown>) =>
  parseMessagesRequest({ model: 'm', max_tokens: 100, ...body }, { requireMaxTokens: true });

const FACT = 'The launch code is AZURE-7421.';

describe('recall replies', () => {
  it('answer a question with the statements of the request that match it best', () => {
    const r = request({
      system: 'You are terse. The launch site is Kourou.',
      messages: [
        { role: 'user', content: `Please remember this. ${FACT} Lunch is at noon.` },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'Anything else? What is the launch code?' },
      ],
    });
    expect(recallQuestion(r)).toBe('What is the launch code?');
    // "launch" and "code" both match only the fact; the launch site matches one keyword.
    expect(recallText(r)).toBe(FACT);
  });

  it('cannot recall a fact the request does not contain', () => {
    const r = request({
      messages: [
        { role: 'user', content: 'Please remember this. The weather is fine.' },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'What is the launch code?' },
      ],
    });
    expect(recallText(r)).toBe('Nothing in this conversation answers that question.');
  });

  it('finds facts in tool results and in earlier assistant turns; earlier questions are not facts', () => {
    const r = request({
      messages: [
        { role: 'user', content: 'What is the launch code?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'vault', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: FACT }] },
          ],
        },
        { role: 'assistant', content: 'The launch codes are rotated daily.' },
        { role: 'user', content: 'So what is the launch code?' },
      ],
    });
    expect(recallText(r)).toBe(`${FACT} The launch codes are rotated daily.`);
  });

  it('without a question, digest the last user message: its distinct sentences in order', () => {
    const r = request({
      system: 'You compress conversations.',
      messages: [
        {
          role: 'user',
          content: `Summarize this.\n<transcript>\nUser: Filler. Filler. ${FACT}\nAssistant: Filler.\n</transcript>`,
        },
      ],
    });
    expect(recallQuestion(r)).toBeUndefined();
    expect(recallText(r)).toBe(
      `Summarize this. <transcript> User: Filler. Filler. ${FACT} Assistant: Filler. </transcript>`,
    );
    const none = request({ messages: [{ role: 'user', content: [{ type: 'text', text: ' ' }] }] });
    expect(recallText(none)).toBe('There is nothing in this request to recall.');
  });

  it('keywords skip short and question words, keep numbers, fold plurals', () => {
    expect([...keywords("What's in the codes for 7 rockets, and who has them?")]).toEqual([
      'code',
      '7',
      'rocket',
    ]);
  });
});
