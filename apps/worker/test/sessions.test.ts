/**
 * Session states as a real worker writes them (issue 14): while its tasks run their sessions are
 * active — as many as its session pool says are in use — and once they end they are closed, or
 * failed when the task failed; a session whose lease lapsed (its worker gone, the job no longer active) is marked idle
 * by the next heartbeat of any live worker.
 */
import { randomUUID } from 'node:crypto';
import { submitTask } from '@baton/db/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask, waitUntil } from './wait';

const MODEL = 'claude-haiku-4-5';
let h: WorkerHarness;

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'Sessions', slug: 'sessions-team' },
    seed: 14,
    apiKey: 'sk-instance-sessions',
    concurrency: 4,
    queue: { retryLimit: 1, retryDelaySeconds: 1 },
  });
});
afterAll(() => h?.stop());

const submit = (prompt: string) =>
  submitTask(h.client.db, h.boss, {
    teamId: h.teamId,
    prompt,
    model: MODEL,
    createdBy: null,
    teamQuota: 4,
  });

async function sessions(ids: string[]) {
  const { rows } = await h.client.pool.query<{
    task_id: string;
    state: string;
    task_status: string;
    message_count: number;
  }>(
    `select s.task_id, s.state::text as state, t.status::text as task_status, s.message_count
       from claude_sessions s join tasks t on t.id = s.task_id
      where s.task_id = any($1::uuid[]) order by s.task_id`,
    [ids],
  );
  return rows;
}

async function poolInUse(): Promise<number | undefined> {
  const { rows } = await h.client.pool.query<{ active: number | null }>(
    `select (pool->>'active')::int as active from worker_heartbeats where stopped_at is null`,
  );
  return rows[0]?.active ?? undefined;
}

describe('session states written by the worker', () => {
  it('are active while the tasks run, as many as the pool holds, and closed after', async () => {
    // 450 tokens at 30 a second: each task streams for about 15 s (the heartbeat comes every 5).
    h.sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 30, outputTokens: { type: 'fixed', tokens: 450 } },
    });
    const ids = (await Promise.all([1, 2, 3].map((i) => submit(`Tell story ${i}.`)))).map(
      (t) => t.id,
    );

    const during = await waitUntil(
      async () => {
        const rows = await sessions(ids);
        return rows.length === 3 && rows.every((r) => r.task_status === 'running') && rows;
      },
      30_000,
      'the three tasks running',
    );
    expect(during.map((r) => r.state)).toEqual(['active', 'active', 'active']);
    // The worker's heartbeat (every 5 s) says the same from its session pool.
    await waitUntil(
      async () => {
        const n = await poolInUse();
        return n === 3;
      },
      12_000,
      'the pool holding 3 sessions',
    );
    const { rows: stillRunning } = await h.client.pool.query<{ n: number }>(
      `select count(*)::int as n from tasks where id = any($1::uuid[]) and status = 'running'`,
      [ids],
    );
    expect(stillRunning[0]!.n, 'the tasks ran past the pool check: make them slower').toBe(3);

    for (const id of ids) expect((await terminalTask(h.client.pool, id)).status).toBe('succeeded');
    const after = await sessions(ids);
    expect(after.map((r) => r.state)).toEqual(['closed', 'closed', 'closed']);
    // Each saved its conversation with the state change (the settle statement).
    for (const r of after) expect(r.message_count).toBeGreaterThan(0);
    await waitUntil(async () => (await poolInUse()) === 0, 12_000, 'the pool holding none');
  });

  it('a task that fails leaves its session failed', async () => {
    // The provider refuses the instance's key: not retryable, the task fails at once.
    h.sim.reset();
    h.sim.configure({ apiKeys: ['sk-someone-else'] });
    const { id } = await submit('Refused.');
    expect((await terminalTask(h.client.pool, id)).status).toBe('failed');
    expect((await sessions([id])).map((r) => r.state)).toEqual(['failed']);
    h.sim.reset();
  });

  it('a session left active by a lapsed lease is marked idle by the next heartbeat', async () => {
    const [task] = (
      await h.client.pool.query<{ id: string }>(
        `insert into tasks (team_id, prompt, model, status, attempts, job_id, started_at)
         values ($1, 'orphaned', $2, 'running', 1, $3, now()) returning id`,
        [h.teamId, MODEL, randomUUID()],
      )
    ).rows;
    // As a worker killed mid-run left it: active, written a while ago; its job is not active.
    await h.client.pool.query(
      `insert into claude_sessions (team_id, task_id, backend, provider_session_id, state, model, updated_at)
       values ($1, $2::uuid, 'api', $2::uuid::text, 'active', $3, now() - interval '1 minute')`,
      [h.teamId, task!.id, MODEL],
    );
    const reaped = await waitUntil(
      async () => {
        const [s] = await sessions([task!.id]);
        return s?.state === 'idle' && s;
      },
      15_000,
      'the heartbeat to reap the session',
    );
    // The task itself is the queue's to retry: only its session's state changed.
    expect(reaped.task_status).toBe('running');
    await h.client.pool.query(`delete from tasks where id = $1`, [task!.id]);
  });
});
