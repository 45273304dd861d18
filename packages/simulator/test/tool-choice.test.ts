import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningSimulator } from '../src/index.js';
import { outputBlockTokens } from '../src/tokens.js';
import { client, expectError, parseSse, raw, sim } from './helpers.js';

const weather = {
  name: 'get_weather',
  description: 'Get the current weather in a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city'],
  },
};

/** A schema with every JSON type, bounds, an enum and nested objects. */
const ticket = {
  name: 'create_ticket',
  description: 'File a ticket in the tracker',
  input_schema: {
    type: 'object' as const,
    properties: {
      title: { type: 'string', minLength: 80 },
      priority: { type: 'string', enum: ['high', 'medium', 'low'] },
      estimate_hours: { type: 'number', minimum: 0.5, maximum: 40 },
      points: { type: 'integer', minimum: 1, maximum: 13 },
      blocking: { type: 'boolean' },
      labels: { type: 'array', items: { type: 'string' }, minItems: 2 },
      assignee: {
        type: 'object',
        properties: {
          login: { type: 'string' },
          team: {
            type: 'object',
            properties: { id: { type: 'integer' }, name: { type: 'string' } },
            required: ['id', 'name'],
            additionalProperties: false,
          },
        },
        required: ['login', 'team'],
        additionalProperties: false,
      },
      notes: { type: 'string' },
    },
    required: ['title', 'priority', 'estimate_hours', 'points', 'blocking', 'labels', 'assignee'],
    additionalProperties: false,
  },
};

const TOOLS = [weather, ticket];
const SCHEMAS: Record<string, z.ZodType> = Object.fromEntries(
  TOOLS.map((t) => [
    t.name,
    z.fromJSONSchema(t.input_schema as Parameters<typeof z.fromJSONSchema>[0]),
  ]),
);

let s: RunningSimulator;
let c: Anthropic;

beforeAll(async () => {
  s = await sim({
    response: { seed: 11, outputTokens: { type: 'fixed', tokens: 30 } },
    scenario: {
      scenarios: [
        {
          name: 'weather',
          turns: [
            {
              content: [
                { type: 'text', text: 'Checking both cities.' },
                { type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } },
                { type: 'tool_use', name: 'get_weather', input: { city: 'Berlin' } },
              ],
            },
          ],
        },
      ],
    },
  });
  c = client(s);
});
afterAll(() => s.close());

type ToolChoice = Anthropic.MessageCreateParams['tool_choice'];

function params(tool_choice: ToolChoice, text = 'File a ticket for the flaky build.') {
  return {
    model: 'claude-sonnet-4-6',
    max_tokens: 1024,
    tools: TOOLS,
    ...(tool_choice ? { tool_choice } : {}),
    messages: [{ role: 'user' as const, content: text }],
  };
}

/** The message is exactly one tool_use whose input fits the tool's schema. */
function expectForcedCall(m: Anthropic.Message, names: string[]): Anthropic.ToolUseBlock {
  expect(m.stop_reason).toBe('tool_use');
  expect(m.content.map((b) => b.type)).toEqual(['tool_use']);
  const b = m.content[0] as Anthropic.ToolUseBlock;
  expect(b.id).toMatch(/^toolu_01[A-Za-z0-9]{22}$/);
  expect(names).toContain(b.name);
  const check = SCHEMAS[b.name]?.safeParse(b.input);
  expect(check?.success, JSON.stringify(check?.error?.issues)).toBe(true);
  // Output tokens are the one estimator's count of the block (name + input JSON + overhead).
  expect(m.usage.output_tokens).toBe(outputBlockTokens(b as never));
  return b;
}

describe('tool_choice through @anthropic-ai/sdk', () => {
  it('the schema check is real: a wrong input fails it', () => {
    expect(SCHEMAS.create_ticket?.safeParse({ title: 'short' }).success).toBe(false);
    expect(SCHEMAS.get_weather?.safeParse({ city: 'Oslo', unit: 'k' }).success).toBe(false);
  });

  it('tool: create and stream both return a call to exactly that tool, fitting its schema', async () => {
    const p = params({ type: 'tool', name: 'create_ticket' });
    const made = await c.messages.create(p);
    const b = expectForcedCall(made, ['create_ticket']);
    const input = b.input as Record<string, unknown>;
    expect(input.priority).toBe('high'); // an enum takes its first value
    expect('notes' in input).toBe(false); // optional properties are left out
    expect((input.title as string).length).toBeGreaterThanOrEqual(80);

    const streamed = await c.messages.stream(p).finalMessage();
    expectForcedCall(streamed, ['create_ticket']);

    const w = await c.messages.create(params({ type: 'tool', name: 'get_weather' }));
    expect(expectForcedCall(w, ['get_weather']).name).toBe('get_weather');
  });

  it('any: create and stream both return a call to one of the tools', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const made = await c.messages.create(params({ type: 'any' }));
      names.add(expectForcedCall(made, ['get_weather', 'create_ticket']).name);
      const streamed = await c.messages.stream(params({ type: 'any' })).finalMessage();
      names.add(expectForcedCall(streamed, ['get_weather', 'create_ticket']).name);
    }
    expect(names.size).toBe(2); // the pick varies with the RNG
  });

  it('a forced call streams as tool_use start, input_json_delta chunks, stop, then stop_reason tool_use', async () => {
    const res = await raw(s, '/v1/messages', {
      ...params({ type: 'tool', name: 'create_ticket' }),
      stream: true,
    });
    expect(res.status).toBe(200);
    const events = parseSse(res.text).filter((e) => e.event !== 'ping');
    const names = events.map((e) => e.event);
    expect(names.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(names.slice(2, -3).every((n) => n === 'content_block_delta')).toBe(true);
    const start = events[1]?.data as { index: number; content_block: Record<string, unknown> };
    expect(start.index).toBe(0);
    expect(start.content_block).toEqual({
      type: 'tool_use',
      id: expect.stringMatching(/^toolu_01/),
      name: 'create_ticket',
      input: {},
    });
    const deltas = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta as { type: string; partial_json: string });
    expect(deltas.every((d) => d.type === 'input_json_delta')).toBe(true);
    expect(deltas.filter((d) => d.partial_json.length > 0).length).toBeGreaterThan(2);
    const input = JSON.parse(deltas.map((d) => d.partial_json).join(''));
    expect(SCHEMAS.create_ticket?.safeParse(input).success).toBe(true);
    const md = events.find((e) => e.event === 'message_delta')?.data as {
      delta: { stop_reason: string };
      usage: { output_tokens: number };
    };
    expect(md.delta.stop_reason).toBe('tool_use');
    expect(md.usage.output_tokens).toBe(
      outputBlockTokens({ type: 'tool_use', name: 'create_ticket', input }),
    );
  });

  it('a forced call drops the script’s text and, with disable_parallel_tool_use, all but one call', async () => {
    const marker = 'Weather please [[scenario:weather]]';
    const auto = await c.messages.create(params({ type: 'auto' }, marker));
    expect(auto.content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
    expect(auto.stop_reason).toBe('tool_use');
    const forced = await c.messages.create(params({ type: 'any' }, marker));
    expect(forced.content.map((b) => b.type)).toEqual(['tool_use', 'tool_use']);
    expect(forced.content.map((b) => (b as Anthropic.ToolUseBlock).input)).toEqual([
      { city: 'Paris' },
      { city: 'Berlin' },
    ]);
    const single = await c.messages
      .stream(
        params({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }, marker),
      )
      .finalMessage();
    expect(single.content).toHaveLength(1);
    expect((single.content[0] as Anthropic.ToolUseBlock).input).toEqual({ city: 'Paris' });
    // The script calls get_weather, not create_ticket: forcing create_ticket generates the call.
    const other = await c.messages.create(params({ type: 'tool', name: 'create_ticket' }, marker));
    expectForcedCall(other, ['create_ticket']);
  });

  it('none: never a tool_use, even when the script would call one (create and stream)', async () => {
    for (const text of ['File a ticket.', 'Weather please [[scenario:weather]]']) {
      const p = params({ type: 'none' }, text);
      const made = await c.messages.create(p);
      const streamed = await c.messages.stream(p).finalMessage();
      for (const m of [made, streamed]) {
        expect(m.content.map((b) => b.type)).toEqual(['text']);
        expect(m.stop_reason).toBe('end_turn');
        expect(m.usage.output_tokens).toBe(30);
      }
    }
  });

  it('auto (and no tool_choice): the model decides — generated text, or the scripted call', async () => {
    for (const choice of [undefined, { type: 'auto' as const }]) {
      const m = await c.messages.create(params(choice));
      expect(m.content.map((b) => b.type)).toEqual(['text']);
      expect(m.stop_reason).toBe('end_turn');
      const scripted = await c.messages
        .stream(params(choice, 'Weather? [[scenario:weather]]'))
        .finalMessage();
      expect(scripted.stop_reason).toBe('tool_use');
      expect(scripted.content.filter((b) => b.type === 'tool_use')).toHaveLength(2);
    }
  });

  it('400 for a tool that is not among the tools, for a forced choice without tools or with thinking', async () => {
    const err = await c.messages
      .create(params({ type: 'tool', name: 'delete_everything' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as { status?: number }).status).toBe(400);
    const res = await raw(s, '/v1/messages', params({ type: 'tool', name: 'delete_everything' }));
    expect(res.status).toBe(400);
    expectError(
      res.json(),
      'invalid_request_error',
      /tool_choice\.tool\.name: .*delete_everything/,
    );
    const streamed = await raw(s, '/v1/messages', {
      ...params({ type: 'tool', name: 'delete_everything' }),
      stream: true,
    });
    expect(streamed.status).toBe(400);

    const noTools = await raw(s, '/v1/messages', {
      ...params({ type: 'any' }),
      tools: undefined,
    });
    expect(noTools.status).toBe(400);
    const thinking = await raw(s, '/v1/messages', {
      ...params({ type: 'any' }),
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expectError(thinking.json(), 'invalid_request_error', /^Thinking may not be enabled/);
  });

  it('count_tokens agrees with usage.input_tokens under each choice', async () => {
    const counts: number[] = [];
    for (const choice of [
      { type: 'auto' as const },
      { type: 'none' as const },
      { type: 'any' as const },
      { type: 'tool' as const, name: 'get_weather' },
    ]) {
      const p = params(choice);
      const { input_tokens } = await c.messages.countTokens({
        model: p.model,
        tools: p.tools,
        tool_choice: choice,
        messages: p.messages,
      });
      const m = await c.messages.create(p);
      expect(m.usage.input_tokens).toBe(input_tokens);
      counts.push(input_tokens);
    }
    // A forced choice has the shorter tool-use system prompt (313 rather than 346 tokens).
    expect(counts).toEqual([counts[0], counts[0], (counts[0] ?? 0) - 33, (counts[0] ?? 0) - 33]);
  });

  it('a forced call is reproducible for a seed', async () => {
    const inputs: unknown[] = [];
    for (const seed of [3, 3, 4]) {
      const x = await sim({ response: { seed } });
      try {
        const m = await client(x).messages.create(params({ type: 'tool', name: 'create_ticket' }));
        inputs.push((m.content[0] as Anthropic.ToolUseBlock).input);
      } finally {
        await x.close();
      }
    }
    expect(inputs[0]).toEqual(inputs[1]);
    expect(inputs[0]).not.toEqual(inputs[2]);
  });
});
