/**
 * Coordinated runs on a real worker against the simulator: a root queued by the api's
 * `startCoordination` (options.coordinate + its tree) is run by the worker as core's coordinator,
 * driving the api's PostgreSQL TaskQueue (given to the worker as `taskQueueFor`, the way the
 * process starting it wires it), and its agents are ordinary tasks of the tree run by the same
 * fleet.
 */
import { createPgTaskQueue, startCoordination } from '@baton/api';
import * as schema from '@baton/db/schema';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinationScope } from '../src/coordination';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask, waitUntil } from './wait';

let h: WorkerHarness;
const userScope = () => ({ teamId: h.teamId, userId: null });
const deps = () => ({ db: h.client.db, pool: h.client.pool, boss: async () => h.boss });

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'Coordination', slug: 'coordination-team' },
    seed: 11,
    apiKey: 'sk-coordination',
    concurrency: 8,
    queue: { retryLimit: 0, retryDelaySeconds: 1 },
    worker: {
      // As a process allowed to import the api wires it: on the worker's own pool and job queue.
      taskQueueFor: (scope: CoordinationScope, { pool, boss }) =>
        createPgTaskQueue({ db: drizzle(pool, { schema }), pool, boss: async () => boss }, scope, {
          pollMs: 100,
        }),
      coordinationWaitMs: 1000,
    },
  });
  await h.client.pool.query(`update teams set max_concurrent_tasks = 50 where id = $1`, [h.teamId]);
});
afterAll(() => h?.stop());

interface Row {
  id: string;
  parent_task_id: string | null;
  root_task_id: string | null;
  depth: number;
  role: string | null;
  status: string;
  status_reason: string | null;
  result: string | null;
  requests: number;
}

async function treeTasks(rootId: string): Promise<Row[]> {
  const { rows } = await h.client.pool.query<Row>(
    `select t.id, t.parent_task_id, t.root_task_id, t.depth, t.role, t.status::text as status,
            t.status_reason, t.result,
            (select count(*)::int from usage_events u where u.task_id = t.id) as requests
       from tasks t where t.root_task_id = $1 order by t.depth, t.created_at, t.id`,
    [rootId],
  );
  return rows;
}

const fast = () =>
  h.sim.configure({
    scenario: null,
    response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 40 } },
  });

const AGENTS = [
  { role: 'researcher', instructions: 'List the facts about build caching.' },
  { role: 'critic', instructions: 'List the risks of build caching.' },
];

describe('coordinated runs in the worker', () => {
  it('a hierarchical run: 2 agents and a synthesiser under the root, the synthesis its result', async () => {
    fast();
    const started = await startCoordination(deps(), userScope(), {
      goal: 'Decide whether to cache the build.',
      strategy: 'hierarchical',
      agents: AGENTS,
      budgetUsd: 5,
    });
    const root = await terminalTask(h.client.pool, started.root_id, 60_000);
    expect(root.status, root.status_reason ?? '').toBe('succeeded');
    const rows = await treeTasks(started.root_id);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => [r.depth, r.role, r.status])).toEqual([
      [0, 'coordinator', 'succeeded'],
      [1, 'researcher', 'succeeded'],
      [1, 'critic', 'succeeded'],
      [1, 'synthesiser', 'succeeded'],
    ]);
    for (const child of rows.slice(1)) {
      expect(child.parent_task_id).toBe(started.root_id);
      // Proof that it ran: a model call of its own.
      expect(child.requests).toBeGreaterThanOrEqual(1);
    }
    // The root made no model call: the coordinator ran it.
    expect(rows[0]!.requests).toBe(0);
    const synthesis = rows[3]!.result!;
    expect(synthesis.length).toBeGreaterThan(0);
    expect(root.result).toContain(synthesis);
    const tree = await createPgTaskQueue(deps(), userScope()).tree(started.root_id);
    expect(tree).toMatchObject({ status: 'succeeded', agents: 4, strategy: 'hierarchical' });
  });

  it('a mesh run: 2 peers post to the board in rounds and stop by their vote', async () => {
    // Each peer's first turn continues, its second (a continuation: one assistant turn in its
    // conversation) votes done.
    h.sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 0 },
      scenario: {
        name: 'mesh-peer',
        match: '[[scenario:mesh-peer]]',
        after_last: 'repeat-last',
        turns: [
          {
            content: [
              {
                type: 'text',
                text: 'Looking.\nFINDING: the cache key includes the build id\nVOTE: continue',
              },
            ],
          },
          {
            content: [
              {
                type: 'text',
                text: 'Agreed.\nFINDING: drop the build id from the key\nVOTE: done',
              },
            ],
          },
        ],
      },
    });
    const started = await startCoordination(deps(), userScope(), {
      goal: '[[scenario:mesh-peer]] Find why the build cache misses.',
      strategy: 'mesh',
      agents: AGENTS,
      budgetUsd: 5,
      maxRounds: 2,
    });
    const root = await terminalTask(h.client.pool, started.root_id, 60_000);
    expect(root.status, root.status_reason ?? '').toBe('succeeded');
    const queue = createPgTaskQueue(deps(), userScope());
    const posts = await queue.board(started.root_id);
    expect(posts.map((p) => [p.round, p.kind, p.body])).toEqual([
      [1, 'finding', 'the cache key includes the build id'],
      [1, 'vote', 'continue'],
      [1, 'finding', 'the cache key includes the build id'],
      [1, 'vote', 'continue'],
      [2, 'finding', 'drop the build id from the key'],
      [2, 'vote', 'done'],
      [2, 'finding', 'drop the build id from the key'],
      [2, 'vote', 'done'],
    ]);
    const rows = await treeTasks(started.root_id);
    expect(rows.map((r) => [r.depth, r.role, r.status])).toEqual([
      [0, 'coordinator', 'succeeded'],
      [1, 'researcher', 'succeeded'],
      [1, 'critic', 'succeeded'],
    ]);
    // Two rounds: two model calls per peer (spawned, then continued with the board's news).
    expect(rows.slice(1).map((r) => r.requests)).toEqual([2, 2]);
    expect(new Set(posts.map((p) => p.agentId))).toEqual(new Set(rows.slice(1).map((r) => r.id)));
    expect(root.result).toContain('A majority of the peers voted done in round 2.');
    expect(root.result).toContain('drop the build id from the key');
  });

  it('a tiny tree budget stops the run budget_exceeded, within one request per running agent', async () => {
    // Slow answers (~2 s): both agents are in flight when the first one's usage lands.
    h.sim.configure({
      scenario: null,
      response: { ttftMs: 0, tokensPerSecond: 40, outputTokens: { type: 'fixed', tokens: 80 } },
    });
    const budgetUsd = 0.00001;
    const started = await startCoordination(deps(), userScope(), {
      goal: 'Decide whether to cache the build.',
      strategy: 'hierarchical',
      agents: AGENTS,
      budgetUsd,
    });
    const root = await terminalTask(h.client.pool, started.root_id, 60_000);
    expect(root.status, root.status_reason ?? '').toBe('budget_exceeded');
    const rows = await treeTasks(started.root_id);
    // No synthesiser: the run stopped before it.
    expect(rows.map((r) => r.role)).toEqual(['coordinator', 'researcher', 'critic']);
    await waitUntil(
      async () =>
        (await treeTasks(started.root_id)).every(
          (r) => r.status !== 'running' && r.status !== 'queued',
        ),
      30_000,
      'the agents to stop',
    );
    const tree = await createPgTaskQueue(deps(), userScope()).tree(started.root_id);
    expect(tree.status).toBe('budget_exceeded');
    const { rows: costs } = await h.client.pool.query<{ max: string; n: number }>(
      `select coalesce(max(cost_usd), 0)::text as max, count(*)::int as n from usage_events u
         join tasks t on t.id = u.task_id where t.root_task_id = $1`,
      [started.root_id],
    );
    const perRequest = Number(costs[0]!.max);
    const running = 2; // the two agents
    expect(tree.spentUsd).toBeGreaterThanOrEqual(budgetUsd);
    expect(tree.spentUsd).toBeLessThanOrEqual(budgetUsd + running * perRequest + 1e-9);
    console.info(
      `budget run: spent $${tree.spentUsd.toFixed(6)} of $${budgetUsd} in ${costs[0]!.n} requests (at most $${perRequest.toFixed(6)} each)`,
    );
  });

  it('cancelling the root stops every descendant', async () => {
    // Long answers (~20 s): the agents are mid-request when the cancel comes.
    h.sim.configure({
      scenario: null,
      response: { ttftMs: 0, tokensPerSecond: 20, outputTokens: { type: 'fixed', tokens: 400 } },
    });
    const started = await startCoordination(deps(), userScope(), {
      goal: 'Decide whether to cache the build.',
      strategy: 'hierarchical',
      agents: AGENTS,
      budgetUsd: 5,
    });
    await waitUntil(
      async () => {
        const rows = await treeTasks(started.root_id);
        return rows.length === 3 && rows.every((r) => r.status === 'running');
      },
      30_000,
      'the root and both agents to run',
    );
    const queue = createPgTaskQueue(deps(), userScope());
    const t0 = performance.now();
    expect(await queue.cancel(started.root_id, 'cancelled by the test')).toEqual({ cancelled: 3 });
    const rows = await waitUntil(
      async () => {
        const all = await treeTasks(started.root_id);
        return all.every((r) => r.status !== 'running' && r.status !== 'queued') && all;
      },
      15_000,
      'every task of the tree to stop',
    );
    const ms = Math.round(performance.now() - t0);
    console.info(`cancel: every descendant stopped ${ms} ms after the root's cancel`);
    expect(ms).toBeLessThanOrEqual(15_000);
    expect(rows.map((r) => [r.role, r.status])).toEqual([
      ['coordinator', 'cancelled'],
      ['researcher', 'cancelled'],
      ['critic', 'cancelled'],
    ]);
    // Nothing was spawned after the cancel (no synthesiser), and the tree says why it stopped.
    const tree = await queue.tree(started.root_id);
    expect(tree).toMatchObject({
      status: 'cancelled',
      stopReason: 'cancelled by the test',
      agents: 3,
    });
  });
});
