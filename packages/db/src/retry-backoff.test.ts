import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type DbClient } from './client';
import { JOBS } from './jobs';
import { createBoss, type PgBoss } from './queue';
import { createTestDatabase, type TestDatabase } from './testing';

// Task retries back off exponentially with jitter (pg-boss's retryBackoff on the runTask queue,
// capped by retryDelayMax): each failure puts the next try between ½ and 1 × delay × 2^n later.
let tdb: TestDatabase;
let client: DbClient;
let boss: PgBoss;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  client = createDb(tdb.url);
  boss = await createBoss(tdb.url, {
    supervise: false,
    policy: { retryLimit: 6, retryDelaySeconds: 1 },
  });
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await client?.close();
  await tdb?.drop();
});

describe('task retries', () => {
  it('wait exponentially longer each time, with jitter', async () => {
    const id = await boss.send(JOBS.runTask, {
      taskId: '8b0f1f3e-0d6a-4b8e-9a53-2c1c7f0f9f10',
      teamId: '5f9b2c4e-2f4c-4b0d-8a2e-0e4f9c1d2b3a',
    });
    expect(id).toBeTruthy();
    const delays: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const [job] = await boss.fetch(JOBS.runTask);
      expect(job?.id).toBe(id);
      await boss.fail(JOBS.runTask, id!, { message: `failure ${n}` });
      const { rows } = await client.pool.query<{ delay: number; retry_count: number }>(
        `select extract(epoch from (start_after - now()))::float8 as delay, retry_count
           from pgboss.job where id = $1`,
        [id],
      );
      // pg-boss counts a retry when it is fetched again: n − 1 retries so far.
      expect(rows[0]!.retry_count).toBe(n - 1);
      delays.push(rows[0]!.delay);
      // Due now: the next fetch takes it without waiting out the delay.
      await client.pool.query(`update pgboss.job set start_after = now() where id = $1`, [id]);
    }
    delays.forEach((d, i) => {
      const full = 2 ** (i + 1);
      expect(d).toBeGreaterThanOrEqual(full / 2 - 0.5);
      expect(d).toBeLessThanOrEqual(full + 0.5);
    });
    // Jitter: the delays are not one fixed multiple of the base.
    const ratios = delays.map((d, i) => d / 2 ** (i + 1));
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeGreaterThan(0.01);
  });
});
