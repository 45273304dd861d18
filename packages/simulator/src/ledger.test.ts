import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from './server.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    response: {
      ttftMs: 0,
      tokensPerSecond: 0,
      seed: 3,
      outputTokens: { type: 'fixed', tokens: 40 },
    },
  });
});
afterAll(() => sim.close());

async function ask(init: { fault?: string; stream?: boolean; signal?: AbortSignal } = {}) {
  return fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-ledger',
      'anthropic-version': '2023-06-01',
      ...(init.fault ? { 'x-sim-fault': init.fault } : {}),
    },
    body: JSON.stringify({
      model: 'claude-sonnet-5',
      max_tokens: 100,
      stream: init.stream ?? true,
      messages: [{ role: 'user', content: 'hello there' }],
    }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

const settled = () => new Promise((r) => setTimeout(r, 50));

describe('the response ledger', () => {
  it('is off until enabled, then keeps one entry per admitted response with its outcome', async () => {
    await (await ask()).text();
    expect(sim.ledger.entries()).toEqual([]);
    sim.ledger.enable();

    const ok = await (await ask()).text();
    await settled();
    const [done] = sim.ledger.entries();
    expect(done).toMatchObject({
      outcome: 'complete',
      started: true,
      stream: true,
      apiKey: 'sk-ledger',
      outputTokens: 40,
      outputDelivered: 40,
    });
    expect(ok).toContain(done!.messageId);
    expect(done!.inputTokens).toBeGreaterThan(0);

    // Cut after the first delta: started (message_start reached the client), one delta's tokens delivered.
    await (await ask({ fault: 'reset-mid:after=1' })).text().catch(() => '');
    // A stall before any byte (closed after 50 ms): never started, nothing a client could record.
    await (await ask({ fault: 'stall:ms=50' }).catch(() => undefined))?.text().catch(() => '');
    // Not admitted (529 before admission): no entry at all.
    expect((await ask({ fault: 'overloaded' })).status).toBe(529);
    await settled();
    const [, cut, stalled, ...rest] = sim.ledger.entries();
    expect(rest).toEqual([]);
    expect(cut).toMatchObject({ outcome: 'fault', started: true });
    expect(cut!.outputDelivered).toBeGreaterThan(0);
    expect(cut!.outputDelivered).toBeLessThan(40);
    expect(stalled).toMatchObject({ outcome: 'fault', started: false, outputDelivered: 0 });
  });

  it('marks a response the client walked away from as client_closed, with what it was sent', async () => {
    sim.reset();
    sim.ledger.enable();
    sim.configure({ response: { tokensPerSecond: 200 } });
    const ac = new AbortController();
    const res = await ask({ signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await new Promise((r) => setTimeout(r, 150));
    const [e] = sim.ledger.entries();
    expect(e).toMatchObject({ outcome: 'client_closed', started: true });
    expect(e!.outputDelivered).toBeLessThan(40);
    expect(e!.endedAt).not.toBeNull();
    sim.configure({ response: { tokensPerSecond: 0 } });
  });

  it('an injected 429 (rate-limit fault) is not admitted: retry-after, no entry', async () => {
    sim.reset();
    sim.ledger.enable();
    const res = await ask({ fault: '429:ms=2500' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(sim.ledger.entries()).toEqual([]);
    expect(sim.stats().totals.faultsByKind['rate-limit']).toBe(1);
  });

  it('reset() empties it', () => {
    sim.reset();
    expect(sim.ledger.entries()).toEqual([]);
  });
});
