import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, SimStats } from '../src/index.js';
import { client, expectError, raw, sim } from './helpers.js';

function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim({ host: '0.0.0.0' });
});
afterAll(() => s.close());

describe('/_sim endpoints', () => {
  it('stats count requests and tokens per key and model, with totals', async () => {
    const c = client(s);
    const a = await c.messages.create({
      model: 'claude-opus-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'one' }],
    });
    const b = await c.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'two' }],
    });
    await raw(s, '/v1/messages', { model: 'claude-opus-4-5', messages: [] });
    await c.messages.countTokens({
      model: 'claude-opus-4-5',
      messages: [{ role: 'user', content: 'x' }],
    });
    const st = (await raw(s, '/_sim/stats')).json() as SimStats;
    expect(st.totals.requests).toBe(2);
    expect(st.totals.admitted).toBe(2);
    expect(st.totals.clientErrors).toBe(1);
    expect(st.totals.countTokensRequests).toBe(1);
    expect(st.totals.inputTokens).toBe(a.usage.input_tokens + b.usage.input_tokens);
    expect(st.totals.outputTokens).toBe(a.usage.output_tokens + b.usage.output_tokens);
    expect(st.byKey['sk-sim-test']?.['claude-opus-4-5']).toMatchObject({
      requests: 1,
      admitted: 1,
      clientErrors: 1,
      outputTokens: a.usage.output_tokens,
    });
    expect(st.byKey['sk-sim-test']?.['claude-haiku-4-5']).toMatchObject({
      requests: 1,
      inputTokens: b.usage.input_tokens,
    });
    expect(s.stats()).toEqual({ ...st, startedAt: s.stats().startedAt });
  });

  it('config can be read and changed (scenario, response mode, keys)', async () => {
    const r = await raw(s, '/_sim/config', {
      scenario: {
        name: 'fixed',
        match: '*',
        turns: [{ content: [{ type: 'text', text: 'Scripted answer.' }] }],
      },
      response: { outputTokens: { type: 'fixed', tokens: 7 } },
    });
    expect(r.status).toBe(200);
    const c = client(s);
    const m = await c.messages.create({
      model: 'claude-opus-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'Scripted answer.' }]);
    expect((await raw(s, '/_sim/config', { scenario: null })).status).toBe(200);
    const d = await c.messages.create({
      model: 'claude-opus-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(d.usage.output_tokens).toBe(7);
    const cfg = (await raw(s, '/_sim/config')).json() as {
      effectiveLimits: Record<string, { rpm: number }>;
      scenarios: string[];
    };
    expect(cfg.effectiveLimits.opus?.rpm).toBe(4000);
    expect(cfg.scenarios).toEqual([]);
    const bad = await raw(s, '/_sim/config', { scenario: { name: 'x', turns: [] } });
    expect(bad.status).toBe(400);
    expectError(bad.json(), 'invalid_request_error', /turns/);
    expect((await raw(s, '/_sim/config', { unknown: 1 })).status).toBe(400);
    expect((await raw(s, '/_sim/config', { apiKeys: ['only-this'] })).status).toBe(200);
    expect((await raw(s, '/v1/models')).status).toBe(401);
    expect((await raw(s, '/v1/models', undefined, { 'x-api-key': 'only-this' })).status).toBe(200);
    s.configure({ apiKeys: [] });
    expect((await raw(s, '/v1/models')).status).toBe(200);
  });

  it('reset clears stats', async () => {
    expect((await raw(s, '/_sim/reset', {})).status).toBe(200);
    expect(s.stats().totals.requests).toBe(0);
    expect((await raw(s, '/_sim/nothing')).status).toBe(404);
  });

  it('answers 403 to non-loopback clients', async () => {
    const ip = externalIPv4();
    expect(ip, 'this test needs a non-loopback IPv4 interface').toBeDefined();
    const res = await fetch(`http://${ip}:${s.port}/_sim/stats`);
    expect(res.status).toBe(403);
    expectError(await res.json(), 'permission_error');
    // The API itself is served on every interface the simulator binds.
    const api = await fetch(`http://${ip}:${s.port}/v1/models`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(api.status).toBe(200);
  });
});
