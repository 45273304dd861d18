/**
 * An agent tree's limits as a real worker obeys them: agents past the tree's max_concurrent wait
 * (held, as a team over its quota is) and start when a slot frees; the tree's budget, reached by
 * the usage of any agent of the tree, stops its running agents through the worker's capped path
 * (NOTIFY baton_spend_cap, scope 'tree') with budget_exceeded, and the agent still waiting does
 * not start.
 */
import { randomUUID } from 'node:crypto';
import { redriveTask, submitTask } from '@baton/db/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask, waitUntil } from './wait';

const MODEL = 'claude-haiku-4-5';
let h: WorkerHarness;

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'Trees', slug: 'trees-team' },
    seed: 7,
    apiKey: 'sk-trees',
    concurrency: 6,
    queue: { retryLimit: 1, retryDelaySeconds: 1 },
  });
  await h.client.pool.query(`update teams set max_concurrent_tasks = 50 where id = $1`, [h.teamId]);
});
afterAll(() => h?.stop());

/** A tree around a root that is not itself run here (its row only), and its limits. */
async function tree(limits: { maxConcurrent: number; budgetUsd?: string }) {
  const root = randomUUID();
  await h.client.pool.query(
    `insert into tasks (id, team_id, prompt, model, root_task_id) values ($1, $2, 'lead', $3, $1)`,
    [root, h.teamId, MODEL],
  );
  await h.client.pool.query(
    `insert into task_trees (root_task_id, team_id, max_agents, max_depth, max_concurrent, budget_usd)
     values ($1, $2, 10, 1, $3, $4)`,
    [root, h.teamId, limits.maxConcurrent, limits.budgetUsd ?? null],
  );
  return root;
}

const agent = (root: string) =>
  submitTask(h.client.db, h.boss, {
    teamId: h.teamId,
    prompt: 'Say something.',
    model: MODEL,
    rootTaskId: root,
    depth: 1,
    role: 'worker',
    teamQuota: 50,
  });

const statuses = async (ids: string[]) =>
  (
    await h.client.pool.query<{ status: string }>(
      `select status::text from tasks where id = any($1::uuid[]) order by array_position($1::uuid[], id)`,
      [ids],
    )
  ).rows.map((r) => r.status);

const slow = () =>
  h.sim.configure({
    response: { ttftMs: 0, tokensPerSecond: 40, outputTokens: { type: 'fixed', tokens: 80 } },
  });
const fast = () =>
  h.sim.configure({
    response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 } },
  });

describe('agent trees in the worker', () => {
  it('agents past max_concurrent wait for a slot, then run; never more than the limit at once', async () => {
    slow(); // ~2 s a task
    try {
      const root = await tree({ maxConcurrent: 2 });
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push((await agent(root)).id);
      let peak = 0;
      const done = Promise.all(ids.map((id) => terminalTask(h.client.pool, id, 60_000)));
      let finished = false;
      void done.then(() => {
        finished = true;
      });
      while (!finished) {
        const running = (await statuses(ids)).filter((s) => s === 'running').length;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await done).map((d) => d.status)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      expect(peak).toBe(2);
    } finally {
      fast();
    }
  });

  it('the tree budget reached stops its running agents (budget_exceeded) and the waiting one never starts', async () => {
    slow();
    try {
      const root = await tree({ maxConcurrent: 2, budgetUsd: '0.01' });
      const a = await agent(root);
      const b = await agent(root);
      await waitUntil(
        async () => (await statuses([a.id, b.id])).every((s) => s === 'running'),
        30_000,
        'two agents to run',
      );
      const c = await agent(root);
      // Held: the tree runs as many agents as it may.
      await new Promise((r) => setTimeout(r, 500));
      expect(await statuses([c.id])).toEqual(['queued']);
      // Spend elsewhere in the tree (the root's usage) crosses its budget.
      await h.client.pool.query(
        `insert into usage_events (provider_request_id, team_id, task_id, model, cost_usd, output_tokens)
         values ('req_root', $1, $2, $3, 0.02, 10)`,
        [h.teamId, root, MODEL],
      );
      const message = "the agent tree's budget of $0.01 is spent ($0.0200)";
      const [da, db] = await Promise.all([
        terminalTask(h.client.pool, a.id, 30_000),
        terminalTask(h.client.pool, b.id, 30_000),
      ]);
      for (const d of [da, db]) {
        expect(d.status).toBe('budget_exceeded');
        expect(d.status_reason).toBe(`stopped: ${message}`);
        expect(d.error).toMatchObject({ type: 'BudgetExceeded' });
      }
      const dc = await terminalTask(h.client.pool, c.id, 30_000);
      expect(dc).toMatchObject({
        status: 'budget_exceeded',
        status_reason: `not started: ${message}`,
        attempts: 0,
      });
      const { rows } = await h.client.pool.query(
        `select status, stop_reason, spent_usd::float8 as usd from task_trees where root_task_id = $1`,
        [root],
      );
      expect(rows[0]).toMatchObject({ status: 'budget_exceeded', stop_reason: message });
      // Past the budget by at most what the two agents had in flight.
      expect(rows[0].usd).toBeGreaterThanOrEqual(0.02);
      expect(rows[0].usd).toBeLessThan(0.02 + 2 * 0.001);
    } finally {
      fast();
    }
  });

  it('an input sent to a finished agent continues its conversation: the next attempt takes it as its user message', async () => {
    h.sim.configure({ response: { reply: 'recall' } });
    try {
      const root = await tree({ maxConcurrent: 2 });
      const a = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'The launch code of the probe is 4417.',
        model: MODEL,
        rootTaskId: root,
        depth: 1,
        role: 'worker',
        teamQuota: 50,
      });
      expect((await terminalTask(h.client.pool, a.id, 30_000)).status).toBe('succeeded');
      await h.client.pool.query(
        `insert into task_inputs (task_id, message) values ($1, 'The probe landed on Europa.')`,
        [a.id],
      );
      const re = await redriveTask(h.client.pool, h.boss, a.id, { continue: true, teamQuota: 50 });
      expect(re.status).toBe('requeued');
      const done = await waitUntil(
        async () => {
          const t = await terminalTask(h.client.pool, a.id, 30_000);
          return t.attempts === 2 ? t : undefined;
        },
        30_000,
        'the second attempt',
      );
      expect(done.status).toBe('succeeded');
      // The input is the new user message, alone (the recall reply digests the last user
      // message: the prompt is not said again) …
      expect(done.result).toContain('The probe landed on Europa.');
      expect(done.result).not.toContain('4417');
      // … after the saved conversation: the second request carries the first's prompt and reply.
      const { rows: calls } = await h.client.pool.query<{ input: number; output: number }>(
        `select input_tokens as input, output_tokens as output from usage_events
          where task_id = $1 order by created_at, id`,
        [a.id],
      );
      expect(calls).toHaveLength(2);
      expect(calls[1]!.input).toBeGreaterThan(calls[0]!.input + calls[0]!.output);
      const { rows } = await h.client.pool.query<{ pending: number }>(
        `select count(*) filter (where consumed_at is null)::int as pending from task_inputs where task_id = $1`,
        [a.id],
      );
      expect(rows[0]!.pending).toBe(0);
    } finally {
      h.sim.configure({ response: { reply: 'generated' } });
      fast();
    }
  });

  it('an input sent while an agent runs is not lost: the agent goes on with it once the run ends', async () => {
    h.sim.configure({
      response: {
        reply: 'recall',
        ttftMs: 0,
        tokensPerSecond: 30,
        outputTokens: { type: 'fixed', tokens: 30 },
      },
    });
    try {
      const root = await tree({ maxConcurrent: 2 });
      const a = await submitTask(h.client.db, h.boss, {
        teamId: h.teamId,
        prompt: 'The ship is called Osprey.',
        model: MODEL,
        rootTaskId: root,
        depth: 1,
        role: 'worker',
        teamQuota: 50,
      });
      await waitUntil(
        async () => (await statuses([a.id]))[0] === 'running',
        30_000,
        'the agent to run',
      );
      await h.client.pool.query(
        `insert into task_inputs (task_id, message) values ($1, 'The ship sails at dawn.')`,
        [a.id],
      );
      const done = await waitUntil(
        async () => {
          const t = await terminalTask(h.client.pool, a.id, 30_000);
          return t.attempts === 2 ? t : undefined;
        },
        60_000,
        'the agent to go on with its input',
      );
      expect(done.status).toBe('succeeded');
      expect(done.result).toContain('The ship sails at dawn.');
    } finally {
      h.sim.configure({ response: { reply: 'generated' } });
      fast();
    }
  });
});
