import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ERROR_CODES } from '@baton/core';
import { createDb, type DbClient, runMigrations } from '@baton/db';
import { startEmbeddedPostgres } from '@baton/db/embedded';
import { createBoss, type PgBoss, requestCancel, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnWorker, statuses, TERMINAL, type WorkerProcess, waitUntil } from './fleet-helpers';

// Fault tests with real worker OS processes, a real PostgreSQL and the simulator.
const TAXONOMY: readonly string[] = ERROR_CODES;

const workers: WorkerProcess[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
});

function worker(id: string, env: Record<string, string>) {
  const w = spawnWorker(id, env);
  workers.push(w);
  return w;
}

describe('fleet on the shared test database', { timeout: 240_000 }, () => {
  let tdb: TestDatabase;
  let client: DbClient;
  let boss: PgBoss;
  let sim: RunningSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    tdb = await createTestDatabase(inject('pgAdminUrl'));
    client = createDb(tdb.url);
    boss = await createBoss(tdb.url, { supervise: false });
    sim = await startSimulator({ port: 0, response: { ttftMs: 0, tokensPerSecond: 0, seed: 11 } });
    env = { DATABASE_URL: tdb.url, ANTHROPIC_BASE_URL: sim.url, ANTHROPIC_API_KEY: 'sk-fleet' };
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await sim?.close();
    await client?.close();
    await tdb?.drop();
  });

  async function team(slug: string, quota = 8) {
    const [t] = await client.db
      .insert(teams)
      .values({ name: slug, slug, maxConcurrentTasks: quota, allowInstanceKey: true })
      .returning();
    return t!;
  }

  it('a task whose worker is SIGKILLed is finished by another worker, once, without double-counted usage', async () => {
    sim.reset();
    sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 60, outputTokens: { type: 'fixed', tokens: 300 } },
    });
    const t = await team('kill');
    const a = worker('worker-a', env);
    await a.healthUrl;
    const task = await submitTask(client.db, boss, {
      teamId: t.id,
      prompt: 'a long answer',
      model: 'claude-sonnet-4-5',
      teamQuota: 8,
    });
    await waitUntil(
      async () => (await statuses(client.pool, [task.id]))[0]?.status === 'running',
      30_000,
      'running',
    );
    await new Promise((r) => setTimeout(r, 1000));
    await a.kill('SIGKILL');
    const b = worker('worker-b', env);
    await b.healthUrl;
    const done = await waitUntil(
      async () => (await statuses(client.pool, [task.id])).find((r) => TERMINAL.includes(r.status)),
      120_000,
      'the task to finish on worker-b',
    );
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const { rows: events } = await client.pool.query<{ type: string; attempt: number }>(
      'select type, attempt from task_events where task_id = $1 order by seq',
      [task.id],
    );
    expect(events.filter((e) => e.type === 'attempt_started').map((e) => e.attempt)).toEqual([
      1, 2,
    ]);
    expect(events.filter((e) => e.type === 'result')).toHaveLength(1);
    const { rows: usage } = await client.pool.query<{ n: number; distinct_keys: number }>(
      `select count(*)::int as n, count(distinct (provider_request_id, message_id))::int as distinct_keys from usage_events where task_id = $1`,
      [task.id],
    );
    // The killed attempt never finished its response; only the second attempt's is recorded, once.
    expect(usage[0]).toEqual({ n: 1, distinct_keys: 1 });
    await b.kill();
  });

  it('a billed response is durable before the next request: a SIGKILL during the retry keeps its usage', async () => {
    sim.reset();
    sim.ledger.enable();
    sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 30, outputTokens: { type: 'fixed', tokens: 300 } },
      faults: 'reset-mid:next=1:after=2',
    });
    try {
      const t = await team('durable');
      const a = worker('durable-a', env);
      await a.healthUrl;
      const task = await submitTask(client.db, boss, {
        teamId: t.id,
        prompt: 'a long answer, cut once',
        model: 'claude-sonnet-4-5',
        teamQuota: 8,
      });
      // The first response was cut mid-stream; its retry is streaming now.
      const [cut] = await waitUntil(
        async () => {
          const l = sim.ledger.entries();
          return l.length >= 2 && l[1]!.outcome === 'pending' ? l : undefined;
        },
        30_000,
        'the retry to stream',
      );
      expect(cut).toMatchObject({ outcome: 'fault', started: true });
      await a.kill('SIGKILL');
      const { rows } = await client.pool.query<{ message_id: string; output_estimated: boolean }>(
        'select message_id, output_estimated from usage_events where task_id = $1',
        [task.id],
      );
      expect(rows).toEqual([{ message_id: cut!.messageId, output_estimated: true }]);
    } finally {
      sim.configure({ faults: null });
    }
  });

  it('SIGTERM drains: a task that ends within the deadline finishes, one that does not is requeued and finished elsewhere', async () => {
    sim.reset();
    sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 50, outputTokens: { type: 'fixed', tokens: 250 } },
    });
    const t = await team('drain');
    const a = worker('drain-a', { ...env, WORKER_DRAIN_SECONDS: '1' });
    await a.healthUrl;
    const task = await submitTask(client.db, boss, {
      teamId: t.id,
      prompt: 'five seconds of text',
      model: 'claude-sonnet-4-5',
      teamQuota: 8,
    });
    await waitUntil(
      async () => (await statuses(client.pool, [task.id]))[0]?.status === 'running',
      30_000,
      'running',
    );
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const mid = (await statuses(client.pool, [task.id]))[0]!;
    expect(mid.status).toBe('queued');
    expect(mid.status_reason).toMatch(/shut down/);
    const b = worker('drain-b', env);
    const done = await waitUntil(
      async () => (await statuses(client.pool, [task.id])).find((r) => TERMINAL.includes(r.status)),
      120_000,
      'the requeued task to finish',
    );
    expect(done.status).toBe('succeeded');
    const { rows } = await client.pool.query<{ type: string }>(
      'select type from task_events where task_id = $1 order by seq',
      [task.id],
    );
    expect(rows.map((r) => r.type)).toContain('requeued');
    await b.kill();
  });

  it('survives a storm of 529s, 500s and connection resets: every task ends as the taxonomy says', async () => {
    sim.reset();
    sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 40 } },
      faults: 'overloaded:0.25,api-error:0.1,reset-before:0.1,seed=5',
    });
    const t = await team('storm');
    const ws = [worker('storm-1', env), worker('storm-2', env)];
    await Promise.all(ws.map((w) => w.healthUrl));
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      ids.push(
        (
          await submitTask(client.db, boss, {
            teamId: t.id,
            prompt: `storm ${i}`,
            model: 'claude-sonnet-4-5',
            teamQuota: 8,
          })
        ).id,
      );
    }
    const rows = await waitUntil(
      async () => {
        const r = await statuses(client.pool, ids);
        return r.every((x) => TERMINAL.includes(x.status)) ? r : undefined;
      },
      180_000,
      'every storm task to finish',
    );
    expect(rows).toHaveLength(16);
    for (const r of rows) {
      expect(['succeeded', 'failed']).toContain(r.status);
      if (r.status === 'failed') expect(TAXONOMY).toContain(r.error?.type);
    }
    expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(8);
    expect(sim.stats().totals.faults).toBeGreaterThan(0);
    sim.configure({ faults: null });
    await Promise.all(ws.map((w) => w.kill()));
  });

  it('three workers share one simulator limit (no 429 after warm-up) and respect per-team quotas', async () => {
    sim.reset();
    sim.configure({
      limits: { rpm: 120 },
      // Each response takes ~0.4 s, so concurrency per team is observable.
      response: { ttftMs: 400, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 } },
    });
    const bulk = await team('bulk', 64);
    const q1 = await team('quota-one', 1);
    const q2 = await team('quota-two', 2);
    const ws = [
      worker('share-1', { ...env, WORKER_CONCURRENCY: '16' }),
      worker('share-2', { ...env, WORKER_CONCURRENCY: '16' }),
      worker('share-3', { ...env, WORKER_CONCURRENCY: '16' }),
    ];
    await Promise.all(ws.map((w) => w.healthUrl));
    const ids: string[] = [];
    for (let i = 0; i < 160; i++) {
      ids.push(
        (
          await submitTask(client.db, boss, {
            teamId: bulk.id,
            prompt: `bulk ${i}`,
            model: 'claude-haiku-4-5',
            teamQuota: 64,
          })
        ).id,
      );
    }
    // Quota teams: slow responses, so concurrency is observable.
    const quotaIds: Record<string, string[]> = { [q1.id]: [], [q2.id]: [] };
    for (const [teamId, quota] of [
      [q1.id, 1],
      [q2.id, 2],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const task = await submitTask(client.db, boss, {
          teamId,
          prompt: `quota ${i}`,
          model: 'claude-sonnet-4-5',
          teamQuota: quota,
          options: { maxTokens: 64 },
        });
        quotaIds[teamId]!.push(task.id);
      }
    }
    const maxRunning: Record<string, number> = { [q1.id]: 0, [q2.id]: 0 };
    let rateLimitedAfterWarmUp: number | undefined;
    const all = [...ids, ...quotaIds[q1.id]!, ...quotaIds[q2.id]!];
    await waitUntil(
      async () => {
        const { rows } = await client.pool.query<{ team_id: string; n: number }>(
          `select team_id, count(*)::int as n from tasks where status = 'running' and team_id = any($1::uuid[]) group by team_id`,
          [[q1.id, q2.id]],
        );
        for (const r of rows) maxRunning[r.team_id] = Math.max(maxRunning[r.team_id] ?? 0, r.n);
        // Warm-up: the limit's first burst (rpm 120 → the first ~120 admissions), while the
        // three processes learn the buckets from response headers; after it, pacing only.
        const seen = sim.stats().totals;
        if (rateLimitedAfterWarmUp === undefined && seen.admitted >= 130)
          rateLimitedAfterWarmUp = seen.rateLimited;
        const s = await statuses(client.pool, all);
        return s.every((x) => TERMINAL.includes(x.status)) ? s : undefined;
      },
      180_000,
      'the shared-limit run to finish',
    );
    const final = await statuses(client.pool, all);
    expect(final.every((r) => r.status === 'succeeded')).toBe(true);
    expect(maxRunning[q1.id]).toBe(1);
    expect(maxRunning[q2.id]).toBeLessThanOrEqual(2);
    const stats = sim.stats();
    expect(stats.totals.admitted).toBeGreaterThanOrEqual(170);
    // The limiter keeps the fleet under the server's limit: a few stray 429s in the first
    // burst while the three processes learn the buckets (each is paused and retried, never
    // failed — every task above succeeded; usually 1–4, at most 8 seen on a loaded
    // machine), then none at all once the fleet paces itself.
    expect(rateLimitedAfterWarmUp).toBeDefined();
    expect(stats.totals.rateLimited).toBe(rateLimitedAfterWarmUp);
    expect(stats.totals.rateLimited).toBeLessThanOrEqual(10);
    expect(stats.totals.rateLimited / stats.totals.requests).toBeLessThan(0.06);
    sim.configure({ limits: { rpm: 4000 } });
    await Promise.all(ws.map((w) => w.kill()));
  });

  it('cancels and times out claude-code tasks within 5 seconds', async () => {
    sim.reset();
    sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 5, outputTokens: { type: 'fixed', tokens: 400 } },
    });
    const t = await team('cc');
    const w = worker('cc-1', env);
    await w.healthUrl;
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'baton-cc-'));
    try {
      const cancelMe = await submitTask(client.db, boss, {
        teamId: t.id,
        prompt: 'write a long story',
        backend: 'claude-code',
        model: 'claude-sonnet-4-5',
        options: { cwd },
        teamQuota: 8,
      });
      await waitUntil(
        async () => {
          const { rows } = await client.pool.query(
            `select 1 from task_events where task_id = $1 and type <> 'attempt_started'`,
            [cancelMe.id],
          );
          return (
            rows.length > 0 || (await statuses(client.pool, [cancelMe.id]))[0]?.status === 'running'
          );
        },
        60_000,
        'the claude-code task to start',
      );
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      await requestCancel(client.pool, cancelMe.id, 'test');
      const cancelled = await waitUntil(
        async () =>
          (await statuses(client.pool, [cancelMe.id])).find((r) => TERMINAL.includes(r.status)),
        30_000,
        'cancel',
      );
      expect(cancelled.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(5000);

      const slow = await submitTask(client.db, boss, {
        teamId: t.id,
        prompt: 'another long story',
        backend: 'claude-code',
        model: 'claude-sonnet-4-5',
        options: { cwd },
        timeoutMs: 4000,
        teamQuota: 8,
      });
      const started = Date.now();
      const timedOut = await waitUntil(
        async () =>
          (await statuses(client.pool, [slow.id])).find((r) => TERMINAL.includes(r.status)),
        30_000,
        'timeout',
      );
      expect(timedOut.status).toBe('timed_out');
      const { rows } = await client.pool.query<{ s: number }>(
        `select extract(epoch from finished_at - started_at)::float as s from tasks where id = $1`,
        [slow.id],
      );
      expect(rows[0]!.s).toBeLessThan(4 + 5);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      await w.kill();
    }
  });
});

describe('fleet across a PostgreSQL restart', { timeout: 240_000 }, () => {
  it('workers reconnect and every task ends in a terminal state', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-restart-'));
    let server = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    const sim = await startSimulator({
      port: 0,
      response: {
        ttftMs: 0,
        tokensPerSecond: 100,
        outputTokens: { type: 'fixed', tokens: 200 },
        seed: 3,
      },
    });
    await runMigrations(server.url);
    const client = createDb(server.url, { onError: () => undefined });
    const boss = await createBoss(server.url, { supervise: false });
    boss.on('error', () => undefined);
    try {
      const [t] = await client.db
        .insert(teams)
        .values({ name: 'restart', slug: 'restart', allowInstanceKey: true })
        .returning();
      const env = {
        DATABASE_URL: server.url,
        ANTHROPIC_BASE_URL: sim.url,
        ANTHROPIC_API_KEY: 'sk-restart',
      };
      const ws = [worker('restart-1', env), worker('restart-2', env)];
      await Promise.all(ws.map((w) => w.healthUrl));
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        ids.push(
          (
            await submitTask(client.db, boss, {
              teamId: t!.id,
              prompt: `restart ${i}`,
              model: 'claude-sonnet-4-5',
              teamQuota: 8,
            })
          ).id,
        );
      }
      await new Promise((r) => setTimeout(r, 1500));
      const before = await statuses(client.pool, ids);
      // The restart happens under load: tasks are running or waiting.
      expect(before.filter((r) => !TERMINAL.includes(r.status)).length).toBeGreaterThan(0);
      await server.stop();
      await new Promise((r) => setTimeout(r, 3000));
      server = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
      const rows = await waitUntil(
        async () => {
          const r = await statuses(client.pool, ids);
          return r.length === ids.length && r.every((x) => TERMINAL.includes(x.status))
            ? r
            : undefined;
        },
        180_000,
        'every task to end after the restart',
      );
      expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(18);
      const { rows: dup } = await client.pool.query<{ n: number }>(
        `select count(*)::int as n from (select task_id from task_events where type = 'result' group by task_id having count(*) > 1) d`,
      );
      expect(dup[0]!.n).toBe(0);
      await Promise.all(ws.map((w) => w.kill()));
    } finally {
      await boss.stop({ graceful: false }).catch(() => undefined);
      await client.close().catch(() => undefined);
      await sim.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
