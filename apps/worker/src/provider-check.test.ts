import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerCheck } from './provider-check';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, apiKeys: ['sk-ready'] });
});
afterAll(async () => {
  await sim?.close();
});

describe('providerCheck (/readyz)', () => {
  it('is ready when the provider answers with the key, and says how fast', async () => {
    const r = await providerCheck({ baseURL: sim.url, apiKey: 'sk-ready' })();
    expect(r).toMatchObject({ ok: true, status: 200, url: sim.url });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(r)).not.toContain('sk-ready');
  });

  it('is not ready when the provider refuses the key, or none is configured', async () => {
    const refused = await providerCheck({ baseURL: sim.url, apiKey: 'bad-key' })();
    expect(refused).toMatchObject({ ok: false, status: 401 });
    expect(refused.error).toBe('the provider refused the API key (401)');
    expect(JSON.stringify(refused)).not.toContain('bad-key');
    const none = await providerCheck({ baseURL: sim.url })();
    expect(none).toMatchObject({ ok: false, status: 401 });
    expect(none.error).toMatch(/no API key is configured/);
  });

  it('is not ready when nothing listens, or nothing answers in time', async () => {
    // A port nothing listens on (taken, then freed).
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const freed = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const closed = await providerCheck({ baseURL: `http://127.0.0.1:${freed}`, apiKey: 'sk-x' })();
    expect(closed.ok).toBe(false);
    expect(closed.error).toMatch(/cannot reach the provider: .*ECONNREFUSED/);
    // A server that accepts and never answers.
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const r = await providerCheck({ baseURL: url, apiKey: 'sk-x', timeoutMs: 200 })();
      expect(r).toMatchObject({
        ok: false,
        error: 'cannot reach the provider: no answer within 200 ms',
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('counts a 529 as an answer (retries handle it) and reuses a result for cacheMs', async () => {
    let calls = 0;
    // A provider answering `status` to every request, counting them.
    const answering = (status: number, cacheMs: number) =>
      providerCheck({
        baseURL: 'http://provider.test',
        apiKey: 'sk-x',
        cacheMs,
        fetch: async () => {
          calls++;
          return new Response('{}', { status });
        },
      });
    const check = answering(529, 60_000);
    const [a, b] = await Promise.all([check(), check()]);
    expect(a).toMatchObject({ ok: true, status: 529, note: 'answering, with 529' });
    expect(b).toBe(a);
    expect(await check()).toBe(a);
    expect(calls).toBe(1);
    const fresh = answering(200, 0);
    await fresh();
    await fresh();
    expect(calls).toBe(3);
  });
});
