import { createDb, type DbClient } from '@baton/db';
import { createBoss, type PgBoss, requestCancel, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { terminalTask } from '../test/wait';
import { createLogger } from './logger';
import { type RunningWorker, startWorker } from './worker';

// The production path: queue → worker → @baton/core → simulator → events and usage.
let tdb: TestDatabase;
let client: DbClient;
let boss: PgBoss;
let sim: RunningSimulator;
let worker: RunningWorker;
let teamId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  client = createDb(tdb.url);
  sim = await startSimulator({ port: 0, response: { ttftMs: 0, tokensPerSecond: 0, seed: 7 } });
  const [team] = await client.db.insert(teams).values({ name: 'E2E', slug: 'e2e' }).returning();
  teamId = team!.id;
  worker = await startWorker({
    databaseUrl: tdb.url,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent' }),
    provider: { baseURL: sim.url, apiKey: 'sk-sim-e2e' },
    concurrency: 4,
    queue: { retryLimit: 2, retryDelaySeconds: 1 },
  });
  boss = await createBoss(tdb.url, { supervise: false });
});

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false });
  await sim?.close();
  await client?.close();
  await tdb?.drop();
});

const terminal = (id: string) => terminalTask(client.pool, id);

async function usageOf(taskId: string) {
  const { rows } = await client.pool.query<{
    requests: number;
    input: number;
    output: number;
    cost: string;
    models: string[];
  }>(
    `select count(*)::int as requests, coalesce(sum(input_tokens),0)::int as input, coalesce(sum(output_tokens),0)::int as output,
            coalesce(sum(cost_usd),0)::text as cost, array_agg(distinct model) as models
       from usage_events where task_id = $1`,
    [taskId],
  );
  return rows[0]!;
}

describe('worker through @baton/core against the simulator', () => {
  it('runs an api task: result, events and usage equal to the simulator count', async () => {
    sim.reset();
    const task = await submitTask(client.db, boss, {
      teamId,
      prompt: 'hello',
      model: 'claude-sonnet-4-5',
    });
    const done = await terminal(task.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'succeeded' });
    expect(done.result?.length).toBeGreaterThan(0);
    const usage = await usageOf(task.id);
    const stats = sim.stats();
    expect(usage.requests).toBe(stats.totals.admitted);
    expect(usage.input).toBe(stats.totals.inputTokens);
    expect(usage.output).toBe(stats.totals.outputTokens);
    expect(Number(usage.cost)).toBeGreaterThan(0);
    const { rows } = await client.pool.query<{ type: string }>(
      'select type from task_events where task_id = $1 order by seq',
      [task.id],
    );
    const types = rows.map((r) => r.type);
    expect(types[0]).toBe('attempt_started');
    expect(types).toContain('text');
    expect(types.at(-1)).toBe('result');
    // The worker's rollup loop brings the analytics rollups up to date within seconds.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows: left } = await client.pool.query<{ n: number }>(
        'select count(*)::int as n from usage_events where task_id = $1 and not rolled_up',
        [task.id],
      );
      if (left[0]!.n === 0) break;
      if (Date.now() > deadline) throw new Error('usage was not rolled up within 15 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('serves an overloaded model from the fallback and records which model answered', async () => {
    sim.configure({ faults: 'overloaded@claude-opus-4-5:always' });
    try {
      const task = await submitTask(client.db, boss, {
        teamId,
        prompt: 'fallback please',
        model: 'claude-opus-4-5',
        fallbackModels: ['claude-sonnet-4-5'],
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('succeeded');
      const usage = await usageOf(task.id);
      expect(usage.models).toContain('claude-sonnet-4-5');
      const { rows } = await client.pool.query<{ type: string }>(
        `select type from task_events where task_id = $1 and type = 'fallback'`,
        [task.id],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      sim.configure({ faults: null });
    }
  });

  it('fails fast on an authentication failure without retrying the task', async () => {
    const auth = await startSimulator({ port: 0, apiKeys: ['only-this-key'] });
    const w = await startWorker({
      databaseUrl: tdb.url,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      provider: { baseURL: auth.url, apiKey: 'wrong-key' },
      concurrency: 2,
    });
    await worker.stop();
    try {
      const task = await submitTask(client.db, boss, {
        teamId,
        prompt: 'who am i',
        model: 'claude-sonnet-4-5',
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('failed');
      expect(done.attempts).toBe(1);
      expect(done.error?.type).toBe('AuthenticationFailure');
    } finally {
      await w.stop();
      await auth.close();
      worker = await startWorker({
        databaseUrl: tdb.url,
        port: 0,
        host: '127.0.0.1',
        logger: createLogger({ level: 'silent' }),
        provider: { baseURL: sim.url, apiKey: 'sk-sim-e2e' },
        concurrency: 4,
      });
    }
  });

  it('cancels a slow api task within seconds', async () => {
    sim.configure({ response: { ttftMs: 0, tokensPerSecond: 20 } });
    try {
      const task = await submitTask(client.db, boss, {
        teamId,
        prompt: 'write a long essay',
        model: 'claude-sonnet-4-5',
      });
      for (;;) {
        const { rows } = await client.pool.query(`select status from tasks where id = $1`, [
          task.id,
        ]);
        if (rows[0]?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await requestCancel(client.pool, task.id, 'stop');
      const done = await terminal(task.id);
      expect(done.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      sim.configure({ response: { ttftMs: 0, tokensPerSecond: 0 } });
    }
  });

  it('times out a slow api task within 5 seconds of its deadline', async () => {
    sim.configure({ response: { ttftMs: 0, tokensPerSecond: 20 } });
    try {
      const task = await submitTask(client.db, boss, {
        teamId,
        prompt: 'an endless essay',
        model: 'claude-sonnet-4-5',
        timeoutMs: 1500,
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('timed_out');
      expect(done.error?.type).toBe('SessionTimeout');
      const { rows } = await client.pool.query<{ s: number }>(
        'select extract(epoch from finished_at - started_at)::float as s from tasks where id = $1',
        [task.id],
      );
      expect(rows[0]!.s).toBeLessThan(1.5 + 5);
    } finally {
      sim.configure({ response: { ttftMs: 0, tokensPerSecond: 0 } });
    }
  });
});
