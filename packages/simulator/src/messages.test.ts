import { describe, expect, it } from 'vitest';
import { SimError } from './errors.js';
import { assistantTurns, parseMessagesRequest } from './messages.js';

const ok = {
  model: 'claude-sonnet-4-5',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Hi' }],
};

function errorOf(body: unknown, requireMaxTokens = true): string {
  try {
    parseMessagesRequest(body, { requireMaxTokens });
  } catch (e) {
    expect(e).toBeInstanceOf(SimError);
    expect((e as SimError).status).toBe(400);
    expect((e as SimError).type).toBe('invalid_request_error');
    return (e as SimError).message;
  }
  throw new Error('expected a validation error');
}

describe('parseMessagesRequest', () => {
  it('normalises a valid request', () => {
    const r = parseMessagesRequest(
      {
        ...ok,
        system: 'Be brief',
        stream: true,
        stop_sequences: ['END'],
        context_management: { edits: [] },
      },
      { requireMaxTokens: true },
    );
    expect(r.messages[0]?.content).toEqual([{ type: 'text', text: 'Hi' }]);
    expect(r.system).toEqual([{ type: 'text', text: 'Be brief' }]);
    expect(r.stream).toBe(true);
    expect(r.stopSequences).toEqual(['END']);
    expect(r.cacheBreakpoints).toBe(0);
  });

  it('names the offending field like the real API', () => {
    expect(errorOf([])).toMatch(/valid dictionary/);
    expect(errorOf({ ...ok, model: undefined })).toBe('model: Field required');
    expect(errorOf({ ...ok, max_tokens: undefined })).toBe('max_tokens: Field required');
    expect(errorOf({ ...ok, max_tokens: 0 })).toMatch(
      /^max_tokens: Input should be greater than or equal to 1/,
    );
    expect(errorOf({ ...ok, max_tokens: 1.5 })).toMatch(
      /^max_tokens: Input should be a valid integer/,
    );
    expect(errorOf({ ...ok, messages: [] })).toMatch(/at least one message/);
    expect(errorOf({ ...ok, messages: [{ role: 'robot', content: 'x' }] })).toMatch(
      /^messages\.0\.role/,
    );
    expect(errorOf({ ...ok, messages: [{ role: 'user', content: [{ type: 'video' }] }] })).toMatch(
      /^messages\.0\.content\.0: Input tag 'video'/,
    );
    expect(errorOf({ ...ok, messages: [{ role: 'user', content: [{ type: 'text' }] }] })).toBe(
      'messages.0.content.0.text: Input should be a valid string',
    );
    expect(errorOf({ ...ok, tools: [{ name: 'bad name!', input_schema: {} }] })).toMatch(
      /^tools\.0\.custom\.name/,
    );
    expect(errorOf({ ...ok, temperature: 3 })).toMatch(/^temperature/);
    expect(errorOf({ ...ok, thinking: { type: 'enabled', budget_tokens: 2000 } })).toMatch(
      /max_tokens/,
    );
    expect(errorOf({ ...ok, stop_sequences: ['  '] })).toMatch(/stop_sequences/);
    const five = Array.from({ length: 5 }, () => ({
      type: 'text',
      text: 'x',
      cache_control: { type: 'ephemeral' },
    }));
    expect(errorOf({ ...ok, messages: [{ role: 'user', content: five }] })).toMatch(
      /maximum of 4 blocks with cache_control/,
    );
    expect(
      errorOf({
        ...ok,
        system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '2h' } }],
      }),
    ).toMatch(/ttl/);
  });

  it('validates tool_choice against the tools and thinking', () => {
    const tools = [
      { name: 'Read', input_schema: { type: 'object' } },
      { name: 'Write', input_schema: { type: 'object' } },
    ];
    const parse = (tool_choice: unknown, extra: Record<string, unknown> = {}) =>
      parseMessagesRequest({ ...ok, tools, tool_choice, ...extra }, { requireMaxTokens: true })
        .toolChoice;
    expect(parseMessagesRequest({ ...ok, tools }, { requireMaxTokens: true }).toolChoice).toBe(
      undefined,
    );
    expect(parse({ type: 'auto' })).toEqual({ type: 'auto', disableParallelToolUse: false });
    expect(parse({ type: 'any', disable_parallel_tool_use: true })).toEqual({
      type: 'any',
      disableParallelToolUse: true,
    });
    expect(parse({ type: 'tool', name: 'Write' })).toEqual({
      type: 'tool',
      name: 'Write',
      disableParallelToolUse: false,
    });
    expect(parse({ type: 'none' })).toEqual({ type: 'none', disableParallelToolUse: false });
    // Thinking is fine with auto and none, not with a forced tool.
    const thinking = { max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 } };
    expect(parse({ type: 'auto' }, thinking)?.type).toBe('auto');

    expect(errorOf({ ...ok, tools, tool_choice: { type: 'tool', name: 'Bash' } })).toBe(
      "tool_choice.tool.name: Tool 'Bash' not found in the provided tools.",
    );
    expect(errorOf({ ...ok, tools, tool_choice: { type: 'tool' } })).toBe(
      'tool_choice.tool.name: Input should be a valid string',
    );
    expect(errorOf({ ...ok, tool_choice: { type: 'any' } })).toMatch(/while providing tools/);
    expect(errorOf({ ...ok, tools, tool_choice: { type: 'required' } })).toMatch(
      /^tool_choice: Input tag 'required'/,
    );
    expect(errorOf({ ...ok, tools, tool_choice: 'auto' })).toMatch(/^tool_choice: Input tag/);
    expect(
      errorOf({ ...ok, tools, tool_choice: { type: 'any', disable_parallel_tool_use: 'yes' } }),
    ).toBe('tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean');
    expect(
      errorOf({ ...ok, tools, tool_choice: { type: 'none', disable_parallel_tool_use: true } }),
    ).toMatch(/^tool_choice\.none\.disable_parallel_tool_use: Extra inputs/);
    for (const t of [{ type: 'enabled', budget_tokens: 1024 }, { type: 'adaptive' }]) {
      expect(
        errorOf({ ...ok, max_tokens: 4000, tools, tool_choice: { type: 'any' }, thinking: t }),
      ).toBe('Thinking may not be enabled when tool_choice forces tool use.');
    }
  });

  it('accepts count_tokens bodies without max_tokens', () => {
    const r = parseMessagesRequest(
      { model: 'm', messages: ok.messages },
      { requireMaxTokens: false },
    );
    expect(r.maxTokens).toBe(0);
  });

  it('counts assistant turns', () => {
    const r = parseMessagesRequest(
      {
        ...ok,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: 'c' },
        ],
      },
      { requireMaxTokens: true },
    );
    expect(assistantTurns(r)).toBe(1);
  });
});
