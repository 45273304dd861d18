import { createDb, type DbClient } from '@baton/db';
import { createBoss, type PgBoss, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { terminalTask } from '../test/wait';
import { createLogger } from './logger';
import type { RunContext, TaskRunner } from './runner';
import { type RunningWorker, startWorker } from './worker';

// Usage writes that give up (the database refused them for longer than the worker retries)
// must not crash the worker: the records go back and are written with the task's state.
let tdb: TestDatabase;
let client: DbClient;
let boss: PgBoss;
let worker: RunningWorker;
let teamId: string;
let releaseRun: (() => void) | undefined;

const runner: TaskRunner = {
  async run(ctx: RunContext) {
    for (let i = 0; i < 25; i++)
      ctx.recordUsage({
        providerRequestId: `req_${ctx.task.id}_${i}`,
        messageId: `msg_${ctx.task.id}_${i}`,
        backend: 'api',
        model: ctx.task.model,
        inputTokens: 10,
        outputTokens: 5,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        cacheReadTokens: 0,
        costUsd: '0.000105',
        status: 'ok',
      });
    // 25 records: the first 20 are flushed during the run — and refused (below).
    await new Promise<void>((r) => {
      releaseRun = r;
    });
    return { result: 'done' };
  },
};

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  client = createDb(tdb.url);
  const [team] = await client.db
    .insert(teams)
    .values({ name: 'Usage', slug: 'usage', allowInstanceKey: true })
    .returning();
  teamId = team!.id;
  // While the flag row exists, every usage insert fails (as a database that stays away would).
  await client.pool.query(`
    create table usage_write_fault (on_ boolean);
    create function usage_write_fault() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from usage_write_fault) then raise exception 'usage writes refused'; end if;
      return null;
    end $$;
    create trigger usage_write_fault before insert on usage_events
      for each statement execute function usage_write_fault();
    insert into usage_write_fault values (true);`);
  worker = await startWorker({
    databaseUrl: tdb.url,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent' }),
    runner,
    concurrency: 2,
    writeRetries: 2,
  });
  boss = await createBoss(tdb.url, { supervise: false });
});

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false });
  await client?.close();
  await tdb?.drop();
});

describe('usage writes that give up', () => {
  it('keep the worker up and are written with the task state, once', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { id } = await submitTask(client.db, boss, { teamId, prompt: 'p', model: 'm' });
      // The run's flush of 20 records is refused twice, then gives up.
      await new Promise((r) => setTimeout(r, 2_500));
      const { rows: none } = await client.pool.query(
        'select count(*)::int as n from usage_events where task_id = $1',
        [id],
      );
      expect(none[0].n).toBe(0);
      // The database takes writes again; the run ends; its settle carries all 25.
      await client.pool.query('delete from usage_write_fault');
      releaseRun?.();
      const done = await terminalTask(client.pool, id, 30_000);
      expect(done.status).toBe('succeeded');
      const { rows } = await client.pool.query(
        'select count(*)::int as n, count(distinct provider_request_id)::int as d from usage_events where task_id = $1',
        [id],
      );
      expect(rows[0]).toEqual({ n: 25, d: 25 });
      expect(unhandled).toEqual([]);
      const health = await fetch(`${worker.healthUrl}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
