import { requestCancel, submitTask } from '@baton/db/queue';
import { startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from '../test/harness';
import { terminalTask } from '../test/wait';

// The production path: queue → worker → @baton/core → simulator → events and usage.
let h: WorkerHarness;

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'E2E', slug: 'e2e' },
    seed: 7,
    apiKey: 'sk-sim-e2e',
    concurrency: 4,
    queue: { retryLimit: 2, retryDelaySeconds: 1 },
  });
});

afterAll(async () => {
  await h?.stop();
});

const terminal = (id: string) => terminalTask(h.client.pool, id);

async function usageOf(taskId: string) {
  const { rows } = await h.client.pool.query<{
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
    h.sim.reset();
    const task = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: 'hello',
      model: 'claude-sonnet-4-5',
    });
    const done = await terminal(task.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'succeeded' });
    expect(done.result?.length).toBeGreaterThan(0);
    const usage = await usageOf(task.id);
    const stats = h.sim.stats();
    expect(usage.requests).toBe(stats.totals.admitted);
    expect(usage.input).toBe(stats.totals.inputTokens);
    expect(usage.output).toBe(stats.totals.outputTokens);
    expect(Number(usage.cost)).toBeGreaterThan(0);
    const { rows } = await h.client.pool.query<{ type: string }>(
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
      const { rows: left } = await h.client.pool.query<{ n: number }>(
        'select count(*)::int as n from usage_events where task_id = $1 and not rolled_up',
        [task.id],
      );
      if (left[0]!.n === 0) break;
      if (Date.now() > deadline) throw new Error('usage was not rolled up within 15 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('serves an overloaded model from the fallback and records which model answered', async () => {
    h.sim.configure({ faults: 'overloaded@claude-opus-4-5:always' });
    try {
      const task = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'fallback please',
        model: 'claude-opus-4-5',
        fallbackModels: ['claude-sonnet-4-5'],
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('succeeded');
      const usage = await usageOf(task.id);
      expect(usage.models).toContain('claude-sonnet-4-5');
      const { rows } = await h.client.pool.query<{ type: string }>(
        `select type from task_events where task_id = $1 and type = 'fallback'`,
        [task.id],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      h.sim.configure({ faults: null });
    }
  });

  it('fails fast on an authentication failure without retrying the task', async () => {
    const auth = await startSimulator({ port: 0, apiKeys: ['only-this-key'] });
    const w = await h.startWorker({
      provider: { baseURL: auth.url, apiKey: 'wrong-key' },
      concurrency: 2,
    });
    await h.worker.stop();
    try {
      const task = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'who am i',
        model: 'claude-sonnet-4-5',
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('failed');
      expect(done.attempts).toBe(1);
      expect(done.error?.type).toBe('AuthenticationFailure');
      // Its /readyz says why it cannot take work; the worker with the right key is ready.
      type Ready = { status: string; checks: Record<string, { ok: boolean; error?: string }> };
      const bad = await fetch(`${w.healthUrl}/readyz`);
      expect(bad.status).toBe(503);
      const badBody = (await bad.json()) as Ready;
      expect(badBody.checks.database?.ok).toBe(true);
      expect(badBody.checks.queue?.ok).toBe(true);
      expect(badBody.checks.provider).toMatchObject({
        ok: false,
        error: 'the provider refused the API key (401)',
      });
      expect(JSON.stringify(badBody)).not.toContain('wrong-key');
    } finally {
      await w.stop();
      await auth.close();
      h.worker = await h.startWorker({
        provider: { baseURL: h.sim.url, apiKey: 'sk-sim-e2e' },
        concurrency: 4,
      });
    }
  });

  it('is ready when the database, the queue and the provider answer', async () => {
    const res = await fetch(`${h.worker.healthUrl}/readyz`);
    const body = (await res.json()) as {
      checks: Record<string, { ok: boolean; status?: number; url?: string }>;
    };
    expect(res.status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(['database', 'provider', 'queue']);
    expect(body.checks.provider).toMatchObject({ ok: true, status: 200, url: h.sim.url });
  });

  it('cancels a slow api task within seconds', async () => {
    h.sim.configure({ response: { ttftMs: 0, tokensPerSecond: 20 } });
    try {
      const task = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'write a long essay',
        model: 'claude-sonnet-4-5',
      });
      for (;;) {
        const { rows } = await h.client.pool.query(`select status from tasks where id = $1`, [
          task.id,
        ]);
        if (rows[0]?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await requestCancel(h.client.pool, task.id, 'stop');
      const done = await terminal(task.id);
      expect(done.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      h.sim.configure({ response: { ttftMs: 0, tokensPerSecond: 0 } });
    }
  });

  it('times out a slow api task within 5 seconds of its deadline', async () => {
    h.sim.configure({ response: { ttftMs: 0, tokensPerSecond: 20 } });
    try {
      const task = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'an endless essay',
        model: 'claude-sonnet-4-5',
        timeoutMs: 1500,
      });
      const done = await terminal(task.id);
      expect(done.status).toBe('timed_out');
      expect(done.error?.type).toBe('SessionTimeout');
      const { rows } = await h.client.pool.query<{ s: number }>(
        'select extract(epoch from finished_at - started_at)::float as s from tasks where id = $1',
        [task.id],
      );
      expect(rows[0]!.s).toBeLessThan(1.5 + 5);
    } finally {
      h.sim.configure({ response: { ttftMs: 0, tokensPerSecond: 0 } });
    }
  });
});
