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
});
