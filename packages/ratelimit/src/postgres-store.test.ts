import { createTestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { manualClock } from './clock.js';
import { postgresStore } from './postgres-store.js';
import { describeLimiterContract } from './testing/limiter-contract.js';
import { describeStoreContract } from './testing/store-contract.js';
import { trackedStore } from './testing/tracked-store.js';

let db: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { migrate: false, prefix: 'ratelimit' });
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describeStoreContract('postgres', async () => {
  const table = `rl_contract_${n++}`;
  const store = postgresStore(pool, { table });
  await store.migrate();
  return {
    store,
    // Time travel: move every stored timestamp back, as if `ms` had passed.
    advance: async (ms) => {
      await pool.query(
        `update ${table} set updated_at = updated_at - make_interval(secs => $1::float8 / 1000),
           paused_until = paused_until - make_interval(secs => $1::float8 / 1000)`,
        [ms],
      );
    },
    slackMs: 3_000,
  };
});

describeStoreContract('postgres, one operation per statement', async () => {
  const table = `rl_contract_${n++}`;
  const store = postgresStore(pool, { table, maxBatch: 1 });
  await store.migrate();
  return {
    store,
    advance: async (ms) => {
      await pool.query(
        `update ${table} set updated_at = updated_at - make_interval(secs => $1::float8 / 1000),
           paused_until = paused_until - make_interval(secs => $1::float8 / 1000)`,
        [ms],
      );
    },
    slackMs: 3_000,
  };
});

describeLimiterContract('the PostgreSQL store', async () => {
  const table = `rl_limiter_${n++}`;
  const pgStore = postgresStore(pool, { table });
  await pgStore.migrate();
  const { store, idle } = trackedStore(pgStore);
  const clock = manualClock(Date.now(), { idle });
  return {
    store,
    clock,
    // The database's time moves first (timestamps rewritten), then the limiter's timers fire.
    advance: async (ms) => {
      await idle();
      await pool.query(
        `update ${table} set updated_at = updated_at - make_interval(secs => $1::float8 / 1000),
           paused_until = paused_until - make_interval(secs => $1::float8 / 1000)`,
        [ms],
      );
      await clock.advance(ms);
    },
    flush: () => clock.flush(),
    slackMs: 3_000,
  };
});

describe('postgresStore', () => {
  it('migrates idempotently, even concurrently', async () => {
    const a = postgresStore(pool, { table: 'rl_migrate' });
    const b = postgresStore(pool, { table: 'rl_migrate' });
    await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
    await b.migrate();
    const r = await a.reserve('x', { amounts: { requests: 1 }, capacity: { requests: 5 } });
    expect(r.ok).toBe(true);
    expect((await b.snapshot('x'))?.buckets.requests?.level).toBeLessThanOrEqual(4.01);
  });

  it('lists every scope refilled at the database clock, and nothing before its table exists', async () => {
    const store = postgresStore(pool, { table: 'rl_scopes' });
    expect(await store.scopes()).toEqual([]);
    await store.migrate();
    await store.reserve('b', { amounts: { requests: 3 }, capacity: { requests: 60 } });
    await store.reserve('a', {
      amounts: { requests: 1, inputTokens: 500 },
      capacity: { requests: 10, inputTokens: 1_000 },
    });
    await store.pause('a', 60_000);
    // 'b' was debited a minute ago: refilled to the full 60 since.
    await pool.query(
      `update rl_scopes set updated_at = updated_at - interval '1 minute' where scope = 'b'`,
    );
    const all = await store.scopes();
    expect(all.map((s) => s.scope)).toEqual(['a', 'b']);
    const [a, b] = all;
    expect(a!.buckets.requests).toEqual({ capacity: 10, level: expect.closeTo(9, 1) });
    expect(a!.buckets.inputTokens!.level).toBeCloseTo(500, -1);
    expect(a!.pausedUntil).toBeGreaterThan(a!.now + 50_000);
    expect(b!.buckets.requests).toEqual({ capacity: 60, level: 60 });
    expect(b!.pausedUntil).toBe(0);
    // When each was last used: 'b' a minute before 'a'.
    expect(a!.updatedAt - b!.updatedAt).toBeGreaterThanOrEqual(59_000);
    expect(a!.updatedAt).toBeLessThanOrEqual(a!.now);
    expect(await store.scopes(1)).toHaveLength(1);
  });

  it('rejects table names that are not plain identifiers', () => {
    expect(() => postgresStore(pool, { table: 'x; drop table y' })).toThrow(/identifier/);
  });

  it('uses the database clock', async () => {
    const store = postgresStore(pool, { table: 'rl_clock' });
    const { rows } = await pool.query('select extract(epoch from clock_timestamp()) * 1000 as now');
    const r = await store.reserve('c', { amounts: { requests: 1 }, capacity: { requests: 5 } });
    expect(Math.abs(r.snapshot.now - Number((rows[0] as { now: number }).now))).toBeLessThan(
      60_000,
    );
  });

  it('sends the operations that pile up on a scope together, applied in arrival order', async () => {
    let statements = 0;
    const counting = {
      query: (text: string, params?: unknown[]) => {
        statements++;
        return pool.query(text, params);
      },
    };
    const store = postgresStore(counting, { table: 'rl_batch' });
    await store.migrate();
    statements = 0;
    const capacity = { requests: 50, inputTokens: 1_000_000 };
    // 100 submitted in one tick go together: two statements of at most 64 (maxBatch).
    const ops = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0
        ? store.reserve('s', { amounts: { requests: 1, inputTokens: 100 }, capacity })
        : store.adjust('s', { inputTokens: 10 }),
    );
    const results = await Promise.all(ops);
    expect(statements).toBe(2);
    const reserves = results.filter((_, i) => i % 2 === 0) as Array<{ ok: boolean }>;
    expect(reserves.filter((r) => r.ok)).toHaveLength(50);
    // Each result is the state right after its own operation: within one statement (one
    // database instant) input levels fall by exactly each operation's amount.
    const snaps = results.map((r) => ('snapshot' in r ? r.snapshot : r));
    let compared = 0;
    for (let i = 1; i < snaps.length; i++) {
      if (snaps[i]!.now !== snaps[i - 1]!.now) continue;
      const step = i % 2 === 0 ? 100 : 10;
      const prev = snaps[i - 1]!.buckets.inputTokens!.level;
      expect(prev - snaps[i]!.buckets.inputTokens!.level).toBeCloseTo(step, 6);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(90);
    // Those that arrive while a statement is on its way wait for it and go together next.
    statements = 0;
    const first = store.adjust('s', { inputTokens: 1 });
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 10 }, () => store.adjust('s', { inputTokens: 1 }));
    await Promise.all([first, ...later]);
    expect(statements).toBe(2);
    // A snapshot waits for the operations queued before it.
    const last = store.adjust('s', { inputTokens: 1_000 });
    const snap = await store.snapshot('s');
    const before = await last;
    expect(snap!.now).toBeGreaterThanOrEqual(before.now);
    // Its level is the adjusted one plus the refill between the two (1,000,000 per minute).
    const refill = ((snap!.now - before.now) * 1_000_000) / 60_000;
    expect(snap!.buckets.inputTokens!.level).toBeCloseTo(
      Math.min(1_000_000, before.buckets.inputTokens!.level + refill),
      1,
    );
    expect(await store.snapshot('never-seen')).toBeUndefined();
  });

  it('keeps a shared limit exact across stores (processes) batching at once', async () => {
    const stores = Array.from({ length: 3 }, () => postgresStore(pool, { table: 'rl_shared' }));
    await stores[0]!.migrate();
    const capacity = { requests: 40 };
    const results = await Promise.all(
      stores.flatMap((s) =>
        Array.from({ length: 30 }, () => s.reserve('k', { amounts: { requests: 1 }, capacity })),
      ),
    );
    const granted = results.filter((r) => r.ok).length;
    expect(granted).toBeGreaterThanOrEqual(40);
    expect(granted).toBeLessThanOrEqual(41); // at most a refill of 1.5 s
  });

  it('fails every operation of a statement that fails, and keeps going', async () => {
    const store = postgresStore(pool, { table: 'rl_fail' });
    await store.migrate();
    const capacity = { requests: 10 };
    await store.reserve('f', { amounts: { requests: 1 }, capacity });
    const bad = [
      store.reserve('f', { amounts: { requests: 1 }, capacity }),
      store.reserve('f', { amounts: { requests: Number.NaN }, capacity }),
    ];
    const settled = await Promise.allSettled(bad);
    expect(settled.some((r) => r.status === 'fulfilled' && r.value.ok)).toBe(true);
    const after = await store.reserve('f', { amounts: { requests: 1 }, capacity });
    expect(after.ok).toBe(true);
  });
});
