import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { beginAttempt, finish } from './lifecycle';

let tdb: TestDatabase;
let pool: pg.Pool;
let teamId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = new pg.Pool({ connectionString: tdb.url });
  const { rows } = await pool.query<{ id: string }>(
    `insert into teams (name, slug, max_concurrent_tasks) values ('Q', 'q', 2) returning id`,
  );
  teamId = rows[0]!.id;
});
afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

async function task(): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into tasks (team_id, prompt, model) values ($1, 'x', 'claude-sonnet-5') returning id`,
    [teamId],
  );
  return rows[0]!.id;
}

describe('beginAttempt', () => {
  it('holds the team quota exactly, even when many workers start tasks at the same instant', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => task()));
    const results = await Promise.all(
      ids.map((id, i) => beginAttempt(pool, id, `job-${i}`, teamId)),
    );
    expect(results.filter((r) => r === 1)).toHaveLength(2);
    expect(results.filter((r) => r === 'over-quota')).toHaveLength(6);
    const started = ids.filter((_, i) => results[i] === 1);
    const waiting = ids.filter((_, i) => results[i] === 'over-quota');
    // a slot frees: exactly one more may start
    await finish(pool, started[0]!, 'succeeded', { result: 'done' });
    const next = await Promise.all(
      waiting.map((id, i) => beginAttempt(pool, id, `job-b${i}`, teamId)),
    );
    expect(next.filter((r) => r === 1)).toHaveLength(1);
  });

  it('counts a retried attempt and leaves a finished task alone', async () => {
    const id = await task();
    await pool.query(`update teams set max_concurrent_tasks = 64 where id = $1`, [teamId]);
    expect(await beginAttempt(pool, id, 'j1', teamId)).toBe(1);
    expect(await beginAttempt(pool, id, 'j2', teamId)).toBe(2); // the retry after a crash
    await finish(pool, id, 'failed', { error: { type: 'Unknown', message: 'x' } });
    expect(await beginAttempt(pool, id, 'j3', teamId)).toBeUndefined();
  });
});
