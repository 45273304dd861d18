import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countText, type RunningSimulator } from '../src/index.js';
import { client, expectError, KEY, parseSse, raw, sim } from './helpers.js';

const LONG_SYSTEM =
  'You are a meticulous assistant who answers questions about distributed systems. '.repeat(250);

const weatherTool = {
  name: 'get_weather',
  description: 'Get the current weather in a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

let s: RunningSimulator;
let c: Anthropic;

beforeAll(async () => {
  s = await sim({
    response: { seed: 7, outputTokens: { type: 'uniform', min: 30, max: 80 } },
    scenario: {
      scenarios: [
        {
          name: 'weather',
          turns: [
            {
              content: [
                { type: 'text', text: 'Let me check Paris first.' },
                { type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } },
              ],
            },
            { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Berlin' } }] },
            {
              content: [{ type: 'text', text: 'Paris is sunny and Berlin is rainy.' }],
              usage: { output_tokens: 11 },
            },
          ],
        },
        {
          name: 'stops',
          turns: [
            {
              content: [
                { type: 'text', text: 'Alpha beta gamma. END more text after the stop sequence.' },
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

describe('@anthropic-ai/sdk against the simulator', () => {
  it('non-streaming create: content, usage, ids and headers', async () => {
    const params = {
      model: 'claude-opus-4-5',
      max_tokens: 500,
      system: 'Be concise.',
      messages: [{ role: 'user' as const, content: 'Explain token buckets.' }],
    };
    const { data, response } = await c.messages.create(params).withResponse();
    expect(data.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe('claude-opus-4-5');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content).toHaveLength(1);
    const block = data.content[0];
    expect(block?.type).toBe('text');
    const text = block?.type === 'text' ? block.text : '';
    expect(data.usage.output_tokens).toBe(countText(text));
    expect(data.usage.output_tokens).toBeGreaterThanOrEqual(30);
    expect(data.usage.output_tokens).toBeLessThanOrEqual(80);
    const counted = await c.messages.countTokens({
      model: params.model,
      system: params.system,
      messages: params.messages,
    });
    expect(data.usage.input_tokens).toBe(counted.input_tokens);
    expect(data.usage.cache_creation_input_tokens).toBe(0);
    expect(data.usage.cache_read_input_tokens).toBe(0);
    expect(data.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 0,
    });
    expect(response.headers.get('request-id')).toMatch(/^req_[A-Za-z0-9]{24}$/);
    expect(data._request_id).toBe(response.headers.get('request-id'));
    for (const dim of ['requests', 'input-tokens', 'output-tokens', 'tokens']) {
      expect(Number(response.headers.get(`anthropic-ratelimit-${dim}-limit`))).toBeGreaterThan(0);
      expect(Number(response.headers.get(`anthropic-ratelimit-${dim}-remaining`))).toBeGreaterThan(
        0,
      );
      expect(response.headers.get(`anthropic-ratelimit-${dim}-reset`)).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
    }
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
  });

  it('streaming: the SDK assembles the same message; raw SSE has the real event sequence', async () => {
    const stream = c.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 2000,
      messages: [{ role: 'user', content: 'Stream please.' }],
    });
    const seen: string[] = [];
    let text = '';
    stream.on('streamEvent', (e) => seen.push(e.type));
    stream.on('text', (t) => {
      text += t;
    });
    const msg = await stream.finalMessage();
    expect(seen[0]).toBe('message_start');
    expect(seen.at(-1)).toBe('message_stop');
    expect(seen).toContain('content_block_delta');
    expect(msg.content[0]?.type === 'text' && msg.content[0].text).toBe(text);
    expect(msg.usage.output_tokens).toBe(countText(text));
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.id).toMatch(/^msg_/);

    const r = await raw(s, '/v1/messages', {
      model: 'claude-sonnet-4-6',
      max_tokens: 2000,
      stream: true,
      messages: [{ role: 'user', content: 'raw' }],
    });
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(r.headers.get('request-id')).toMatch(/^req_/);
    expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toMatch(/^\d+$/);
    const events = parseSse(r.text);
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const start = events[0]?.data.message as Record<string, unknown>;
    expect(start).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [],
      stop_reason: null,
    });
    expect((start.usage as Record<string, number>).input_tokens).toBeGreaterThan(0);
  });

  it('thinking blocks stream with thinking_delta and signature_delta when asked', async () => {
    const r = await raw(s, '/v1/messages', {
      model: 'claude-opus-4-5',
      max_tokens: 4000,
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      messages: [{ role: 'user', content: 'think' }],
    });
    const deltas = parseSse(r.text)
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { type: string }).type);
    expect(deltas).toContain('thinking_delta');
    expect(deltas).toContain('signature_delta');
    expect(deltas).toContain('text_delta');
    const msg = await c.messages
      .stream({
        model: 'claude-opus-4-5',
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 2000 },
        messages: [{ role: 'user', content: 'think' }],
      })
      .finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const th = msg.content[0];
    expect(th?.type === 'thinking' && th.signature.length).toBeGreaterThan(20);
  });

  it('runs a multi-turn tool-use loop from a scenario (streaming and not)', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Weather in Paris and Berlin? [[scenario:weather]]' },
    ];
    const stops: string[] = [];
    const inputs: number[] = [];
    for (let turn = 0; turn < 5; turn++) {
      const params = {
        model: 'claude-haiku-4-5',
        max_tokens: 1024,
        tools: [weatherTool],
        messages,
      };
      const msg =
        turn % 2 === 0
          ? await c.messages.create(params)
          : await c.messages.stream(params).finalMessage();
      stops.push(msg.stop_reason ?? 'null');
      inputs.push(msg.usage.input_tokens);
      const counted = await c.messages.countTokens({
        model: params.model,
        tools: params.tools,
        messages,
      });
      expect(msg.usage.input_tokens).toBe(counted.input_tokens);
      messages.push({ role: 'assistant', content: msg.content });
      if (msg.stop_reason !== 'tool_use') {
        expect(msg.content).toEqual([
          { type: 'text', text: 'Paris is sunny and Berlin is rainy.' },
        ]);
        expect(msg.usage.output_tokens).toBe(11);
        break;
      }
      const results = msg.content
        .filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')
        .map((b) => {
          expect(b.id).toMatch(/^toolu_01/);
          return {
            type: 'tool_result' as const,
            tool_use_id: b.id,
            content: `${(b.input as { city: string }).city}: fine`,
          };
        });
      expect(results).toHaveLength(1);
      messages.push({ role: 'user', content: results });
    }
    expect(stops).toEqual(['tool_use', 'tool_use', 'end_turn']);
    expect(inputs[1]).toBeGreaterThan(inputs[0] as number);
    expect(inputs[2]).toBeGreaterThan(inputs[1] as number);
  });

  it('honours stop_sequences and max_tokens', async () => {
    const a = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: '[[scenario:stops]]' }],
    });
    expect(a.stop_reason).toBe('stop_sequence');
    expect(a.stop_sequence).toBe('END');
    expect(a.content).toEqual([{ type: 'text', text: 'Alpha beta gamma. ' }]);
    const b = await c.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 3,
      messages: [{ role: 'user', content: '[[scenario:stops]]' }],
    });
    expect(b.stop_reason).toBe('max_tokens');
    expect(b.usage.output_tokens).toBe(3);
    const streamed = await c.messages
      .stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'long please' }],
      })
      .finalMessage();
    expect(streamed.stop_reason).toBe('max_tokens');
    expect(streamed.usage.output_tokens).toBe(5);
  });

  it('simulates prompt caching (5m and 1h writes, reads on repeat)', async () => {
    const body = (question: string) => ({
      model: 'claude-sonnet-4-6',
      max_tokens: 50,
      system: [
        {
          type: 'text' as const,
          text: LONG_SYSTEM,
          cache_control: { type: 'ephemeral' as const, ttl: '1h' as const },
        },
      ],
      messages: [
        {
          role: 'user' as const,
          content: [
            {
              type: 'text' as const,
              text: question,
              cache_control: { type: 'ephemeral' as const },
            },
          ],
        },
      ],
    });
    const first = await c.messages.create(
      body('What is a token bucket? Please explain in detail.'),
    );
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(1500);
    expect(first.usage.cache_creation?.ephemeral_5m_input_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_creation_input_tokens).toBe(
      (first.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0) +
        (first.usage.cache_creation?.ephemeral_5m_input_tokens ?? 0),
    );
    expect(first.usage.input_tokens).toBeLessThan(10);
    const second = await c.messages.create(body('What is a leaky bucket?'));
    expect(second.usage.cache_read_input_tokens).toBe(
      first.usage.cache_creation?.ephemeral_1h_input_tokens,
    );
    const total = await c.messages.countTokens({
      model: 'claude-sonnet-4-6',
      system: body('').system,
      messages: body('What is a leaky bucket?').messages,
    });
    expect(
      second.usage.input_tokens +
        (second.usage.cache_read_input_tokens ?? 0) +
        (second.usage.cache_creation_input_tokens ?? 0),
    ).toBe(total.input_tokens);
    // Below the model's minimum cacheable length nothing is cached (Haiku 4.5: 4,096).
    const half = {
      max_tokens: 50,
      system: [
        {
          type: 'text' as const,
          text: LONG_SYSTEM.slice(0, LONG_SYSTEM.length / 2),
          cache_control: { type: 'ephemeral' as const },
        },
      ],
      messages: [{ role: 'user' as const, content: 'x' }],
    };
    const onHaiku = await c.messages.create({ ...half, model: 'claude-haiku-4-5' });
    expect(onHaiku.usage.input_tokens).toBeGreaterThan(2048);
    expect(onHaiku.usage.cache_creation_input_tokens).toBe(0);
    const onSonnet = await c.messages.create({ ...half, model: 'claude-sonnet-4-6' });
    expect(onSonnet.usage.cache_creation_input_tokens).toBeGreaterThan(2048);
  });

  it('a breakpoint on the last block still reports uncached input_tokens (write, then read)', async () => {
    const params = {
      model: 'claude-opus-4-5',
      max_tokens: 40,
      system: LONG_SYSTEM,
      messages: [
        {
          role: 'user' as const,
          content: [
            {
              type: 'text' as const,
              text: 'Which queue discipline fits bursty traffic? [last-block breakpoint]',
              cache_control: { type: 'ephemeral' as const },
            },
          ],
        },
      ],
    };
    const { input_tokens: total } = await c.messages.countTokens({
      model: params.model,
      system: params.system,
      messages: params.messages,
    });
    expect(total).toBeGreaterThan(4096); // above Opus 4.5's minimum cacheable length
    const sum = (u: Anthropic.Usage) =>
      u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

    const first = await c.messages.create(params);
    // Only the assistant-turn opening after the breakpoint is uncached: 3 tokens, never 0.
    expect(first.usage.input_tokens).toBe(3);
    expect(first.usage.cache_creation_input_tokens).toBe(total - 3);
    expect(first.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(total - 3);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(sum(first.usage)).toBe(total);

    // The same prompt again, streamed: read from the cache; the usage in message_start and
    // message_delta says the same.
    const stream = c.messages.stream(params);
    let started: Anthropic.Usage | undefined;
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') started = e.message.usage;
    });
    const second = await stream.finalMessage();
    expect(started?.input_tokens).toBe(3);
    expect(second.usage.input_tokens).toBe(3);
    expect(second.usage.cache_read_input_tokens).toBe(total - 3);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(sum(second.usage)).toBe(total);
  });

  it('generated replies are reproducible for a seed', async () => {
    const texts: string[] = [];
    for (const seed of [5, 5, 6]) {
      const x = await sim({ response: { seed } });
      try {
        const m = await client(x).messages.create({
          model: 'claude-opus-4-5',
          max_tokens: 1000,
          messages: [{ role: 'user', content: 'x' }],
        });
        texts.push(m.content[0]?.type === 'text' ? m.content[0].text : '');
      } finally {
        await x.close();
      }
    }
    expect(texts[0]?.length).toBeGreaterThan(20);
    expect(texts[0]).toBe(texts[1]);
    expect(texts[0]).not.toBe(texts[2]);
  });

  it('lists and retrieves models', async () => {
    const ids: string[] = [];
    for await (const m of c.models.list({ limit: 5 })) ids.push(m.id);
    expect(ids).toContain('claude-opus-5-5');
    expect(ids).toContain('claude-sonnet-4-5-20250929');
    expect(ids).toContain('claude-haiku-4-5-20251001');
    expect(new Set(ids).size).toBe(ids.length);
    const m = await c.models.retrieve('claude-opus-4-1');
    expect(m.id).toBe('claude-opus-4-1-20250805');
    expect(m.display_name).toBe('Claude Opus 4.1');
    await expect(c.models.retrieve('claude-nope')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe('errors, auth and validation', () => {
  it('401 without a key, 400 without anthropic-version, Bearer accepted', async () => {
    const noKey = await raw(
      s,
      '/v1/messages',
      { model: 'claude-opus-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
      { 'x-api-key': '' },
    );
    expect(noKey.status).toBe(401);
    expectError(noKey.json(), 'authentication_error');
    expect(noKey.headers.get('request-id')).toBe(
      (noKey.json() as { request_id: string }).request_id,
    );
    const noVersion = await raw(s, '/v1/models', undefined, { 'anthropic-version': '' });
    expect(noVersion.status).toBe(400);
    expectError(noVersion.json(), 'invalid_request_error', /anthropic-version/);
    const bearer = await raw(s, '/v1/models', undefined, {
      'x-api-key': '',
      authorization: `Bearer ${KEY}`,
    });
    expect(bearer.status).toBe(200);
    const sdkBearer = new Anthropic({
      baseURL: s.url,
      authToken: 'tok',
      apiKey: null,
      maxRetries: 0,
    });
    expect(
      (
        await sdkBearer.messages.countTokens({
          model: 'claude-opus-4-5',
          messages: [{ role: 'user', content: 'hi' }],
        })
      ).input_tokens,
    ).toBeGreaterThan(0);
  });

  it('checks keys against the configured list', async () => {
    const locked = await sim({ apiKeys: ['sk-good'] });
    try {
      await expect(
        client(locked, { apiKey: 'sk-bad' }).messages.create({
          model: 'claude-opus-4-5',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      const ok = await client(locked, { apiKey: 'sk-good' }).messages.create({
        model: 'claude-opus-4-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(ok.type).toBe('message');
    } finally {
      await locked.close();
    }
  });

  it('400 for invalid bodies and malformed JSON, 404 for unknown model and path', async () => {
    await expect(
      c.messages.create({
        model: 'claude-opus-4-5',
        messages: [{ role: 'user', content: 'x' }],
      } as never),
    ).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      apiMessage: 'max_tokens: Field required',
    });
    const bad = await raw(s, '/v1/messages', '{"model": ');
    expect(bad.status).toBe(400);
    expectError(bad.json(), 'invalid_request_error');
    await expect(
      c.messages.create({
        model: 'claude-nonexistent',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({
      status: 404,
      type: 'not_found_error',
      apiMessage: 'model: claude-nonexistent',
    });
    const path = await raw(s, '/v1/nothing', {});
    expect(path.status).toBe(404);
    expectError(path.json(), 'not_found_error');
    const tooMany = await raw(s, '/v1/messages', {
      model: 'claude-opus-4-1',
      max_tokens: 100_000,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(tooMany.status).toBe(400);
    expectError(tooMany.json(), 'invalid_request_error', /^max_tokens: 100000 > 32000/);
  });

  it('413 when the prompt exceeds the context window or the body the size limit', async () => {
    const huge = 'lorem ipsum dolor sit amet '.repeat(150_000); // ~4 MB, > 200k tokens
    const err = await c.messages
      .create({
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: huge }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('request_too_large');
    const tokens = await c.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(tokens.input_tokens).toBeGreaterThan(0);

    const small = await sim({ maxBodyBytes: 64 * 1024 });
    try {
      const r = await raw(small, '/v1/messages', {
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x'.repeat(100_000) }],
      });
      expect(r.status).toBe(413);
      expectError(r.json(), 'request_too_large');
    } finally {
      await small.close();
    }
  });
});
