import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { KEY, sim } from './helpers.js';

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim({
    log: (l) => (l.startsWith('internal error') ? internalErrors.push(l) : undefined),
  });
});
afterAll(() => s.close());
const internalErrors: string[] = [];

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': KEY,
      'anthropic-version': '2023-06-01',
      ...headers,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

function checkAnswer(r: { status: number; text: string }): void {
  expect(r.status).not.toBe(500);
  expect([200, 400, 404, 413]).toContain(r.status);
  if (r.status !== 200) {
    const j = JSON.parse(r.text);
    expect(j.type).toBe('error');
    expect(typeof j.error.type).toBe('string');
    expect(typeof j.error.message).toBe('string');
    expect(j.request_id).toMatch(/^req_/);
  }
}

const block = fc.oneof(
  fc.record(
    { type: fc.constant('text'), text: fc.oneof(fc.string(), fc.integer()) },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('image'),
      source: fc.record(
        {
          type: fc.constantFrom('base64', 'url', 'file', 'x'),
          media_type: fc.string(),
          data: fc.base64String(),
          url: fc.webUrl(),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('tool_use'),
      id: fc.string(),
      name: fc.string(),
      input: fc.oneof(fc.object(), fc.string()),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('tool_result'),
      tool_use_id: fc.string(),
      content: fc.oneof(
        fc.string(),
        fc.array(fc.record({ type: fc.constant('text'), text: fc.string() })),
      ),
      cache_control: fc.oneof(
        fc.constant({ type: 'ephemeral' }),
        fc.constant({ type: 'ephemeral', ttl: '1h' }),
        fc.anything(),
      ),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('thinking', 'redacted_thinking', 'document', 'bogus'),
      thinking: fc.string(),
      signature: fc.string(),
      data: fc.string(),
    },
    { requiredKeys: ['type'] },
  ),
  fc.anything(),
);

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), fc.string()),
    content: fc.oneof(fc.string(), fc.array(block, { maxLength: 4 }), fc.anything()),
  },
  { requiredKeys: [] },
);

const body = fc.record(
  {
    model: fc.oneof(
      fc.constantFrom('claude-opus-4-5', 'claude-haiku-4-5', 'claude-opus-5-5', 'nope'),
      fc.anything(),
    ),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.double(), fc.anything()),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.anything()),
    system: fc.oneof(fc.string(), fc.array(block, { maxLength: 2 }), fc.anything()),
    tools: fc.oneof(
      fc.array(
        fc.record(
          {
            name: fc.string(),
            description: fc.string(),
            input_schema: fc.object(),
            type: fc.string(),
            cache_control: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    stop_sequences: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.anything()),
    thinking: fc.oneof(
      fc.record({
        type: fc.constantFrom('enabled', 'disabled', 'adaptive', 'x'),
        budget_tokens: fc.integer({ min: 0, max: 70_000 }),
      }),
      fc.anything(),
    ),
    temperature: fc.oneof(fc.double(), fc.anything()),
    tool_choice: fc.anything(),
    cache_control: fc.anything(),
    metadata: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('fuzzed bodies never crash the server or produce a 500', () => {
  it('/v1/messages with structured random bodies, in either reply mode', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('generated', 'recall'), async (b, mode) => {
        checkAnswer(await post('/v1/messages', JSON.stringify(b), { 'x-sim-reply': mode }));
      }),
      { numRuns: 300 },
    );
  });

  it('/v1/messages/count_tokens and /_sim/config with arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, fc.jsonValue()), async (b) => {
        checkAnswer(await post('/v1/messages/count_tokens', JSON.stringify(b)));
        const cfg = await post('/_sim/config', JSON.stringify({ response: b }));
        expect([200, 400]).toContain(cfg.status);
      }),
      { numRuns: 150 },
    );
    s.configure({
      response: {
        seed: 1,
        ttftMs: 0,
        tokensPerSecond: 0,
        outputTokens: { type: 'fixed', tokens: 10 },
      },
    });
  });

  it('raw byte soup, bad headers and odd paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom(
          '/v1/messages',
          '/v1/messages/count_tokens',
          '/v1/models/x%ZZ',
          '/v1/messages?beta=true',
        ),
        fc.string({ maxLength: 20 }),
        async (text, path, fault) => {
          const r = await post(
            path,
            text,
            fault.length > 0 ? { 'x-sim-fault': fault.replace(/[^\x20-\x7e]/g, '') || 'x' } : {},
          );
          expect(r.status).not.toBe(500);
        },
      ),
      { numRuns: 200 },
    );
    expect(internalErrors).toEqual([]);
    // Still serving.
    const ok = await post(
      '/v1/messages',
      JSON.stringify({
        model: 'claude-opus-4-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(ok.status).toBe(200);
  });
});
