/**
 * The simulator's request parser over the real HTTP path (fast-check): a body that is JSON but
 * not a Messages request — any JSON value, or a request with one field made arbitrary — is
 * answered 400 with an `invalid_request_error` and a message, as the real API does; never a
 * 500, never an internal error logged. (fuzz.test.ts covers structured bodies and byte soup.)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { KEY, sim } from './helpers.js';

let s: RunningSimulator;
const internalErrors: string[] = [];
beforeAll(async () => {
  s = await sim({
    log: (l) => (l.startsWith('internal error') ? internalErrors.push(l) : undefined),
  });
});
afterAll(() => s.close());

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': KEY,
      'anthropic-version': '2023-06-01',
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) };
}

function expectInvalidRequest(r: { status: number; json: unknown }): void {
  expect(r.status, JSON.stringify(r.json)).toBe(400);
  expect(r.json).toMatchObject({
    type: 'error',
    error: { type: 'invalid_request_error', message: expect.stringMatching(/\S/) },
    request_id: expect.stringMatching(/^req_/),
  });
}

const VALID = {
  model: 'claude-haiku-4-5',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'Hello' }],
};

/** A field's value that is never valid for it (wrong type or out of range). */
const wrongFor: Record<string, fc.Arbitrary<unknown>> = {
  model: fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string()),
    fc.object(),
    fc.constant(''),
  ),
  max_tokens: fc.oneof(
    fc.string(),
    fc.constantFrom(0, -1, 1.5, null, true),
    fc.array(fc.integer()),
    fc.object(),
  ),
  messages: fc.oneof(fc.string(), fc.integer(), fc.constantFrom(null, true, []), fc.object()),
};

describe('the request parser refuses what is not a Messages request', () => {
  it('any JSON value without the request fields: 400 invalid_request_error', async () => {
    const notARequest = fc
      .jsonValue({ maxDepth: 4 })
      .filter((v) => !(v && typeof v === 'object' && !Array.isArray(v) && 'messages' in v));
    await fc.assert(
      fc.asyncProperty(
        notARequest,
        fc.constantFrom('/v1/messages', '/v1/messages/count_tokens'),
        async (body, path) => expectInvalidRequest(await post(path, body)),
      ),
      { numRuns: 150 },
    );
  });

  it('a valid request with one field made wrong, plus arbitrary extra JSON: 400 invalid_request_error', async () => {
    const broken = fc
      .constantFrom(...Object.keys(wrongFor))
      .chain((key) => wrongFor[key]!.map((bad) => ({ ...VALID, [key]: bad })));
    await fc.assert(
      fc.asyncProperty(broken, fc.boolean(), async (body, stream) =>
        expectInvalidRequest(await post('/v1/messages', { ...body, stream })),
      ),
      { numRuns: 150 },
    );
    expect(internalErrors).toEqual([]);
  });
});
