import { describe, expect, it } from 'vitest';
import { parseMessagesRequest } from './messages.js';
import { DEFAULT_RESPONSE } from './options.js';
import { intendedReply } from './responder.js';
import { Rng } from './rng.js';
import { parseScenario, ScenarioMatcher, type ScenarioTurn } from './scenario.js';
import { analyzePrompt, TOOLS_PREAMBLE, TOOLS_PREAMBLE_FORCED } from './tokens.js';

const TOOLS = [
  {
    name: 'Read',
    input_schema: {
      type: 'object',
      properties: { file_path: { type: 'string' } },
      required: ['file_path'],
    },
  },
  {
    name: 'Write',
    input_schema: {
      type: 'object',
      properties: { file_path: { type: 'string' }, content: { type: 'string' } },
      required: ['file_path', 'content'],
    },
  },
  {
    name: 'Count',
    input_schema: {
      type: 'object',
      properties: { n: { type: 'integer', minimum: 1, maximum: 3 } },
      required: ['n'],
    },
  },
];

function req(tool_choice?: unknown, extra: Record<string, unknown> = {}) {
  return parseMessagesRequest(
    {
      model: 'm',
      max_tokens: 100,
      tools: TOOLS,
      tool_choice,
      messages: [{ role: 'user', content: 'Go.' }],
      ...extra,
    },
    { requireMaxTokens: true },
  );
}

/** A scripted turn: text, then two tool calls. */
const CHATTY: ScenarioTurn = {
  content: [
    { type: 'text', text: 'Reading both files.' },
    { type: 'tool_use', name: 'Read', input: { file_path: '/a' } },
    { type: 'tool_use', name: 'Read', input: { file_path: '/b' } },
  ],
};

describe('tool_choice in the reply', () => {
  it('tool: one call to the named tool, input from its schema, no text, stop tool_use', () => {
    const r = intendedReply(
      req({ type: 'tool', name: 'Count' }),
      undefined,
      DEFAULT_RESPONSE,
      new Rng(1),
    );
    expect(r.naturalStop).toBe('tool_use');
    expect(r.content).toHaveLength(1);
    const b = r.content[0];
    expect(b?.type).toBe('tool_use');
    expect(b?.id).toMatch(/^toolu_01[A-Za-z0-9]{22}$/);
    expect(b?.name).toBe('Count');
    expect(Object.keys(b?.input as object)).toEqual(['n']);
    expect([1, 2, 3]).toContain((b?.input as { n: number } | undefined)?.n);
  });

  it('any: a call to one of the tools, picked with the seeded RNG', () => {
    const names = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const a = intendedReply(req({ type: 'any' }), undefined, DEFAULT_RESPONSE, new Rng(seed));
      const b = intendedReply(req({ type: 'any' }), undefined, DEFAULT_RESPONSE, new Rng(seed));
      expect(a.content.map((x) => x.type)).toEqual(['tool_use']);
      expect({ ...a.content[0], id: 0 }).toEqual({ ...b.content[0], id: 0 }); // same seed, same call
      names.add(a.content[0]?.name as string);
    }
    expect([...names].sort()).toEqual(['Count', 'Read', 'Write']);
  });

  it('auto and none without a script: generated text, end_turn', () => {
    for (const choice of [undefined, { type: 'auto' }, { type: 'none' }]) {
      const r = intendedReply(req(choice), undefined, DEFAULT_RESPONSE, new Rng(1));
      expect(r.content.map((b) => b.type)).toEqual(['text']);
      expect(r.naturalStop).toBe('end_turn');
    }
  });

  it('shapes a scripted turn: forced → calls only; disable_parallel_tool_use → the first call', () => {
    const rng = new Rng(1);
    const auto = intendedReply(req({ type: 'auto' }), CHATTY, DEFAULT_RESPONSE, rng);
    expect(auto.content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
    const forced = intendedReply(req({ type: 'any' }), CHATTY, DEFAULT_RESPONSE, rng);
    expect(
      forced.content.map(
        (b) => `${b.type}:${b.input ? (b.input as { file_path: string }).file_path : ''}`,
      ),
    ).toEqual(['tool_use:/a', 'tool_use:/b']);
    expect(forced.naturalStop).toBe('tool_use');
    const single = intendedReply(
      req({ type: 'auto', disable_parallel_tool_use: true }),
      CHATTY,
      DEFAULT_RESPONSE,
      rng,
    );
    expect(single.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    const one = intendedReply(
      req({ type: 'tool', name: 'Read', disable_parallel_tool_use: true }),
      CHATTY,
      DEFAULT_RESPONSE,
      rng,
    );
    expect(one.content).toHaveLength(1);
    expect(one.content[0]?.input).toEqual({ file_path: '/a' });
  });

  it('the scenario matcher passes over turns the choice rules out', () => {
    const m = new ScenarioMatcher(parseScenario({ name: 's', match: '*', turns: [CHATTY] }));
    const turnFor = (choice: unknown) => m.match(req(choice), 0)?.turn;
    expect(turnFor({ type: 'auto' })).toBe(m.scenarios[0]?.turns[0]);
    expect(turnFor({ type: 'any' })).toBe(m.scenarios[0]?.turns[0]);
    expect(turnFor({ type: 'tool', name: 'Read' })).toBe(m.scenarios[0]?.turns[0]);
    expect(turnFor({ type: 'none' })).toBeUndefined(); // it calls a tool
    expect(turnFor({ type: 'tool', name: 'Write' })).toBeUndefined(); // it calls another tool
    const text = new ScenarioMatcher(
      parseScenario({
        name: 't',
        match: '*',
        turns: [{ content: [{ type: 'text', text: 'Hi' }] }],
      }),
    );
    expect(text.match(req({ type: 'none' }), 0)?.turn).toBeDefined();
    expect(text.match(req({ type: 'any' }), 0)?.turn).toBeUndefined(); // it calls no tool
  });

  it('counts the shorter tool-use preamble when a tool is forced', () => {
    expect(TOOLS_PREAMBLE - TOOLS_PREAMBLE_FORCED).toBe(33);
    const auto = analyzePrompt(req({ type: 'auto' }), false).total;
    expect(analyzePrompt(req(undefined), false).total).toBe(auto);
    expect(analyzePrompt(req({ type: 'none' }), false).total).toBe(auto);
    expect(analyzePrompt(req({ type: 'any' }), false).total).toBe(auto - 33);
    expect(analyzePrompt(req({ type: 'tool', name: 'Read' }), false).total).toBe(auto - 33);
  });
});
