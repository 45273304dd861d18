import { CoordinationError, loadConfig } from '@baton/core';
import { JOBS } from '@baton/db/jobs';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { tasks, taskTrees } from '@baton/db/schema';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, makeTeam, makeUser, rejection, setupHarness } from '../../test/harness';
import { COORDINATOR_ROLE, createPgTaskQueue, startCoordination } from './index';

let h: Harness;
let boss: PgBoss;
let userId: string;
let teamId: string;

const deps = () => ({ db: h.client.db, pool: h.client.pool, boss: async () => boss });
const scope = () => ({ teamId, userId });
const AGENTS = [
  { role: 'researcher', instructions: 'Find the facts.' },
  { role: 'critic', instructions: 'Find the holes.' },
];

async function counts() {
  const [t] = await h.client.db.select({ n: sql<number>`count(*)::int` }).from(tasks);
  const { rows } = await h.client.pool.query<{ n: number }>(
    `select count(*)::int as n from pgboss.job where name = $1`,
    [JOBS.runTask],
  );
  return { tasks: t!.n, jobs: rows[0]!.n };
}

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 4 });
  const user = await makeUser(h, 'Cora Coordinator');
  userId = user.user.id;
  teamId = await makeTeam(h, 'coordinators', [[user, 'member']]);
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await h?.close();
});

describe('startCoordination', () => {
  it('queues the root with its plan and creates its tree, in one go', async () => {
    const before = await counts();
    const started = await startCoordination(deps(), scope(), {
      goal: '  Decide whether to cache the build. ',
      strategy: 'mesh',
      agents: AGENTS,
      budgetUsd: 0.25,
      maxRounds: 2,
    });
    expect(started).toMatchObject({ status: 'queued', strategy: 'mesh', max_rounds: 2 });
    expect(await counts()).toEqual({ tasks: before.tasks + 1, jobs: before.jobs + 1 });
    const [root] = await h.client.db.select().from(tasks).where(eq(tasks.id, started.root_id));
    expect(root).toMatchObject({
      teamId,
      createdBy: userId,
      rootTaskId: started.root_id,
      parentTaskId: null,
      depth: 0,
      role: COORDINATOR_ROLE,
      status: 'queued',
      prompt: 'Decide whether to cache the build.',
    });
    expect((root!.options as Record<string, unknown>).coordinate).toEqual({
      strategy: 'mesh',
      goal: 'Decide whether to cache the build.',
      agents: AGENTS,
      maxRounds: 2,
    });
    const [tree] = await h.client.db
      .select()
      .from(taskTrees)
      .where(eq(taskTrees.rootTaskId, started.root_id));
    expect(tree).toMatchObject({
      teamId,
      strategy: 'mesh',
      goal: 'Decide whether to cache the build.',
      maxRounds: 2,
      agents: 1,
      status: 'running',
    });
    expect(Number(tree!.budgetUsd)).toBe(0.25);

    // The tree is the pg queue's: agents spawn into it, and its rounds bound the board.
    const queue = createPgTaskQueue(deps(), scope(), { pollMs: 25 });
    const agent = await queue.spawn({
      task: 'peer',
      role: 'researcher',
      parentId: started.root_id,
    });
    expect(agent).toMatchObject({ rootId: started.root_id, depth: 1 });
    const refused = await rejection(
      queue.post(started.root_id, { kind: 'note', body: 'late', round: 3 }),
    );
    expect((refused as unknown as CoordinationError).code).toBe('TREE_LIMIT');
    expect((await queue.tree(started.root_id)).limits.budgetUsd).toBe(0.25);
  });

  it('a hierarchical tree holds the root, the agents and the synthesiser', async () => {
    const started = await startCoordination(
      deps(),
      scope(),
      { goal: 'g', strategy: 'hierarchical', agents: AGENTS, budgetUsd: 1 },
      { limits: { maxAgents: 4 } },
    );
    expect(started).toMatchObject({ strategy: 'hierarchical', max_rounds: null });
    expect(started.limits).toMatchObject({ maxAgents: 4, budgetUsd: 1 });
    const refused = await rejection(
      startCoordination(
        deps(),
        scope(),
        { goal: 'g', strategy: 'hierarchical', agents: AGENTS, budgetUsd: 1 },
        { limits: { maxAgents: 3 } },
      ),
    );
    expect(refused).toBeInstanceOf(CoordinationError);
    expect(refused.message).toContain('needs 4 places');
  });

  it('a coordinator that ended without a model call is not flagged (its agents are its proof); an agent is', async () => {
    const started = await startCoordination(deps(), scope(), {
      goal: 'Flag check',
      strategy: 'hierarchical',
      agents: AGENTS,
      budgetUsd: 1,
    });
    const queue = createPgTaskQueue(deps(), scope());
    const agent = await queue.spawn({ task: 'idle', parentId: started.root_id });
    await h.client.pool.query(
      `update tasks set status = 'succeeded', finished_at = now() where id = any($1::uuid[])`,
      [[started.root_id, agent.agentId]],
    );
    expect((await queue.get(started.root_id)).proof.noModelCall).toBe(false);
    expect((await queue.get(agent.agentId)).proof.noModelCall).toBe(true);
  });

  it('refuses a bad plan or budget, naming the field, and leaves nothing behind', async () => {
    const before = await counts();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ goal: '', strategy: 'mesh', agents: AGENTS, budgetUsd: 1 }, 'goal'],
      [{ goal: 'g', strategy: 'star', agents: AGENTS, budgetUsd: 1 }, 'strategy'],
      [{ goal: 'g', strategy: 'mesh', agents: [], budgetUsd: 1 }, 'agents'],
      [
        { goal: 'g', strategy: 'mesh', agents: [{ role: 'x', instructions: '' }], budgetUsd: 1 },
        'agents.0.instructions',
      ],
      [{ goal: 'g', strategy: 'mesh', agents: AGENTS, budgetUsd: 0 }, 'budgetUsd'],
      [{ goal: 'g', strategy: 'mesh', agents: AGENTS, budgetUsd: Number.NaN }, 'budgetUsd'],
      [{ goal: 'g', strategy: 'mesh', agents: AGENTS, budgetUsd: 1, maxRounds: 0 }, 'maxRounds'],
      [{ goal: 'g', strategy: 'mesh', agents: AGENTS, budgetUsd: 1, model: '' }, 'model'],
    ];
    for (const [input, field] of cases) {
      const err = await rejection(startCoordination(deps(), scope(), input as never));
      expect(err, field).toBeInstanceOf(CoordinationError);
      expect((err as unknown as CoordinationError).details.field, JSON.stringify(input)).toBe(
        field,
      );
    }
    const off = loadConfig({ config: { multi_agent: { enabled: false } as never }, env: {} });
    expect(
      await rejection(
        startCoordination(
          deps(),
          scope(),
          { goal: 'g', strategy: 'mesh', agents: AGENTS, budgetUsd: 1 },
          { config: off },
        ),
      ),
    ).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('multi_agent.enabled') });
    expect(
      (await rejection(
        startCoordination(
          deps(),
          {
            ...scope(),
            // A task-scoped caller (an MCP token of one task) starts no run of its own.
            rootTaskId: '00000000-0000-4000-8000-000000000000',
          },
          {
            goal: 'g',
            strategy: 'mesh',
            agents: AGENTS,
            budgetUsd: 1,
          },
        ),
      )) as unknown as CoordinationError,
    ).toMatchObject({ code: 'INVALID' });
    expect(await counts()).toEqual(before);
  });
});
