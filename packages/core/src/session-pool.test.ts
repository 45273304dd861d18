import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiBackend } from './api-backend.js';
import { createSessionPool } from './session-pool.js';
import { memorySessionStore } from './session-store.js';
import { fastStrategies, KEY, sim } from './testing/sim.js';

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim();
});
afterAll(() => s.close());

const init = { model: 'claude-haiku-4-5', system: 'Be brief.' };

describe('session pool', () => {
  it('reuses an idle session for the same conversation, and saves state after every run', async () => {
    const store = memorySessionStore();
    const api = createApiBackend({ baseURL: s.url, apiKey: KEY, strategies: fastStrategies() });
    const pool = createSessionPool({ api, store });
    const a = await pool.acquire('conv-1', init);
    expect(a.origin).toBe('new');
    await a.run({ prompt: 'first' }).result;
    await a.release();
    const b = await pool.acquire('conv-1', init);
    expect(b.origin).toBe('idle');
    expect(b.state).toBe(a.state);
    await b.run({ prompt: 'second' }).result;
    const saved = await store.load('conv-1');
    expect(saved?.messages).toHaveLength(4);
    expect(saved?.messageCount).toBe(4);
    expect(saved?.turns).toBe(2);
    expect(saved?.usage.outputTokens).toBeGreaterThan(0);
    expect(saved?.config.model).toBe('claude-haiku-4-5');
    await b.release();
    expect(pool.stats()).toMatchObject({ active: 0, idle: 1, hits: 1, misses: 1 });
    await pool.close();
  });

  it('evicts idle sessions after the idle timeout and beyond maxIdle; the store brings them back', async () => {
    const store = memorySessionStore();
    const api = createApiBackend({ baseURL: s.url, apiKey: KEY, strategies: fastStrategies() });
    const pool = createSessionPool({ api, store, idleTimeoutMs: 50, maxIdle: 1 });
    const a = await pool.acquire('e1', init);
    await a.run({ prompt: 'hello' }).result;
    await a.release();
    const b = await pool.acquire('e2', init);
    await b.release(); // e1 is evicted (maxIdle 1)
    expect(pool.stats()).toMatchObject({ idle: 1, evictions: 1 });
    await new Promise((r) => setTimeout(r, 120)); // e2 times out
    expect(pool.stats()).toMatchObject({ idle: 0, evictions: 2 });
    const again = await pool.acquire('e1', init);
    expect(again.origin).toBe('store');
    expect(again.state.messages).toHaveLength(2);
    await again.release();
    await pool.close();
  });

  it('without a store, keeps an evicted session in its own memory and brings it back', async () => {
    const api = createApiBackend({ baseURL: s.url, apiKey: KEY, strategies: fastStrategies() });
    const pool = createSessionPool({ api, maxIdle: 1 });
    const a = await pool.acquire('p1', init);
    await a.run({ prompt: 'hello' }).result;
    await a.release();
    await (await pool.acquire('p2', init)).release(); // p1 is evicted (maxIdle 1)
    const again = await pool.acquire('p1', init);
    expect(again.origin).toBe('store');
    expect(again.state.messages).toHaveLength(2);
    expect(again.state.turns).toBe(1);
    await again.run({ prompt: 'again' }).result;
    expect(again.state.messages).toHaveLength(4);
    await again.release();
    await pool.close();
  });

  it('limits concurrent sessions; a waiter gets the next free slot or is aborted', async () => {
    const api = createApiBackend({ baseURL: s.url, apiKey: KEY });
    const pool = createSessionPool({ api, maxSessions: 2 });
    const l1 = await pool.acquire('c1', init);
    const l2 = await pool.acquire('c2', init);
    let third = false;
    const p3 = pool.acquire('c3', init).then((l) => {
      third = true;
      return l;
    });
    const ac = new AbortController();
    const p4 = pool.acquire('c4', init, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    expect(pool.stats().waiting).toBe(2);
    ac.abort();
    await expect(p4).rejects.toMatchObject({ name: 'AbortError' });
    await l1.release();
    const l3 = await p3;
    expect(third).toBe(true);
    expect(pool.stats().active).toBe(2);
    // The same conversation is never leased twice at once.
    const again = pool.acquire('c2', init);
    await l3.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().active).toBe(1);
    await l2.release();
    await (await again).release();
    await pool.close();
  });

  it('continues a conversation on another worker (a fresh pool over the same store)', async () => {
    const store = memorySessionStore();
    const w1 = createSessionPool({ api: createApiBackend({ baseURL: s.url, apiKey: KEY }), store });
    const a = await w1.acquire('moving', init);
    await a.run({ prompt: 'Remember: the vault code is 7421.' }).result;
    await a.release();
    const w2 = createSessionPool({ api: createApiBackend({ baseURL: s.url, apiKey: KEY }), store });
    const b = await w2.acquire('moving', init);
    expect(b.origin).toBe('store');
    const r = await b.run({ prompt: 'What is the vault code?' }).result;
    expect(r.stopReason).toBe('end_turn');
    expect(JSON.stringify(b.state.messages[0])).toContain('7421');
    expect(b.state.messages).toHaveLength(4);
    await b.release();
    await w1.close();
    await w2.close();
  });
});
