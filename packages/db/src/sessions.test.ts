/**
 * Session states as the task lifecycle statements write them (packages/db/sql/task_lifecycle.sql):
 * active while an attempt runs, idle when it ended and the task runs again, closed or failed when
 * the task ended — a stale attempt's settle changes nothing — and the heartbeat's reaping of
 * sessions whose lease (the task's pg-boss job) is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createBoss, type PgBoss } from './boss';
import { JOBS } from './jobs';
import { createPool } from './pool';
import { createTestDatabase, type TestDatabase } from './testing';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
let boss: PgBoss;
const team = randomUUID();
let task: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 4 });
  boss = await createBoss(tdb.url, { supervise: false });
  await pool.query(`insert into teams (id, name, slug) values ($1, 'S', 's')`, [team]);
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await pool?.end();
  await tdb?.drop();
});

beforeEach(async () => {
  task = randomUUID();
  await pool.query(
    `insert into tasks (id, team_id, prompt, model) values ($1, $2, 'p', 'claude-sonnet-4-5')`,
    [task, team],
  );
});

async function start(jobId = `job-${randomUUID()}`): Promise<{ outcome: string; attempt: number }> {
  const { rows } = await pool.query(`select outcome, attempt from baton_task_start($1, $2, 0)`, [
    task,
    jobId,
  ]);
  return rows[0];
}

const SESSION = {
  backend: 'api',
  model: 'claude-sonnet-4-5',
  config: { model: 'claude-sonnet-4-5' },
  messageCount: 2,
  inputTokens: 10,
  outputTokens: 5,
  cacheWriteTokens: 0,
  cacheReadTokens: 0,
  summary: null,
  state: { messages: ['hi', 'hello'] },
};

async function settle(
  status: string | null,
  attempt: number | null,
  session: object | null = SESSION,
): Promise<boolean> {
  const { rows } = await pool.query(
    `select baton_task_settle($1, $2, null, null, null, null, $3::jsonb, $4) as made`,
    [task, status, session ? JSON.stringify(session) : null, attempt],
  );
  return rows[0].made;
}

async function session(): Promise<{ state: string; task_id: string; message_count: number }[]> {
  const { rows } = await pool.query(
    `select state::text as state, task_id, message_count from claude_sessions where provider_session_id = $1`,
    [task],
  );
  return rows;
}

async function status(): Promise<string> {
  const { rows } = await pool.query(`select status::text as status from tasks where id = $1`, [
    task,
  ]);
  return rows[0].status;
}

describe('session states through the task lifecycle', () => {
  it('is active while an attempt runs, idle for its retry, closed when the task succeeds', async () => {
    expect(await session()).toEqual([]);
    expect(await start()).toEqual({ outcome: 'started', attempt: 1 });
    expect(await session()).toEqual([{ state: 'active', task_id: task, message_count: 0 }]);

    expect(await settle('queued', 1)).toBe(true);
    expect(await session()).toEqual([{ state: 'idle', task_id: task, message_count: 2 }]);

    expect(await start()).toEqual({ outcome: 'started', attempt: 2 });
    expect((await session())[0]?.state).toBe('active');
    expect(await settle('succeeded', 2)).toBe(true);
    expect(await session()).toEqual([{ state: 'closed', task_id: task, message_count: 2 }]);
  });

  it('a stale attempt settling leaves the newer attempt its active session', async () => {
    await start();
    // The first worker stalled past its heartbeat; the task started again elsewhere.
    expect(await start()).toEqual({ outcome: 'started', attempt: 2 });
    expect(await settle('failed', 1, { ...SESSION, messageCount: 9 })).toBe(false);
    expect(await settle('queued', 1)).toBe(false);
    expect(await session()).toEqual([{ state: 'active', task_id: task, message_count: 0 }]);
    expect(await status()).toBe('running');
    // The live attempt's own settle counts.
    expect(await settle('failed', 2, null)).toBe(true);
    expect((await session())[0]?.state).toBe('failed');
  });

  it('a settle without a session still ends it, by the status that won', async () => {
    await start();
    // A cancel wrote the terminal status first; the worker's later 'failed' changes nothing.
    await pool.query(`update tasks set status = 'cancelled' where id = $1`, [task]);
    expect(await settle('failed', 1, null)).toBe(false);
    expect((await session())[0]?.state).toBe('closed');
  });

  it('a task cancelled before its retry started closes its idle session', async () => {
    await start();
    await settle('queued', 1);
    await pool.query(`update tasks set cancel_requested_at = now() where id = $1`, [task]);
    expect((await start()).outcome).toBe('cancelled');
    expect((await session())[0]?.state).toBe('closed');
  });

  it('the session state function covers every task status', async () => {
    const { rows } = await pool.query<{ s: string; st: string }>(
      `select s::text as s, baton_session_state(s)::text as st from unnest(enum_range(null::task_status)) as s`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.s, r.st]))).toEqual({
      queued: 'idle',
      running: 'active',
      succeeded: 'closed',
      failed: 'failed',
      cancelled: 'closed',
      timed_out: 'closed',
      budget_exceeded: 'closed',
    });
  });
});

describe('references without foreign keys (migration 0022)', () => {
  it('deleting a task keeps its session without the task; deleting a team deletes its sessions', async () => {
    expect(await start()).toEqual({ outcome: 'started', attempt: 1 });
    expect(await settle('succeeded', 1)).toBe(true);
    await pool.query('delete from tasks where id = $1', [task]);
    expect(await session()).toEqual([{ state: 'closed', task_id: null, message_count: 2 }]);

    const other = randomUUID();
    const theirs = randomUUID();
    await pool.query(`insert into teams (id, name, slug) values ($1, 'Gone', 'gone')`, [other]);
    await pool.query(
      `insert into tasks (id, team_id, prompt, model) values ($1, $2, 'p', 'claude-sonnet-4-5')`,
      [theirs, other],
    );
    task = theirs;
    expect(await start()).toEqual({ outcome: 'started', attempt: 1 });
    expect(await session()).toHaveLength(1);
    await pool.query('delete from teams where id = $1', [other]);
    expect(await session()).toEqual([]);
    const { rows } = await pool.query(
      'select count(*)::int as n from claude_sessions where team_id = $1',
      [other],
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('reaping the sessions of lapsed leases', () => {
  const reap = async () =>
    (await pool.query<{ n: number }>('select baton_sessions_reap() as n')).rows[0]!.n;
  /** As if the start committed this long ago (the reaper leaves the last 5 s alone). */
  const age = (seconds: number) =>
    pool.query(
      `update claude_sessions set updated_at = now() - make_interval(secs => $2) where provider_session_id = $1`,
      [task, seconds],
    );

  it('keeps a session whose job is active and marks it idle once the job was failed back', async () => {
    await boss.send(JOBS.runTask, { taskId: task, teamId: team });
    const [job] = await boss.fetch<{ taskId: string }>(JOBS.runTask);
    expect(job?.data.taskId).toBe(task);
    await start(job!.id);
    await age(10);
    await reap();
    expect((await session())[0]?.state).toBe('active');

    // What pg-boss's monitor does when the worker's heartbeat lapses: the job goes back to retry.
    await boss.fail(JOBS.runTask, job!.id, { message: 'heartbeat lapsed' });
    expect(await reap()).toBeGreaterThanOrEqual(1);
    expect((await session())[0]?.state).toBe('idle');
    expect(await status()).toBe('running');

    // The retry starts it again (due now rather than after the retry delay): active once more.
    await pool.query('update pgboss.job set start_after = now() where id = $1', [job!.id]);
    const [again] = await boss.fetch<{ taskId: string }>(JOBS.runTask);
    expect(again?.id).toBe(job!.id);
    await start(again!.id);
    await age(10);
    await reap();
    expect((await session())[0]?.state).toBe('active');
    await boss.complete(JOBS.runTask, again!.id);
  });

  it('leaves a session just started alone, and ends one whose task ended behind its back', async () => {
    await start(randomUUID()); // a job id pg-boss never had
    await reap();
    expect((await session())[0]?.state).toBe('active');
    await age(10);
    await pool.query(`update tasks set status = 'timed_out' where id = $1`, [task]);
    await reap();
    expect((await session())[0]?.state).toBe('closed');
  });
});
