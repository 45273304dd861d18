import { CoordinationError, type TaskQueue, WAIT_MAX_MS } from '@baton/core';
import { JOBS } from '@baton/db/jobs';
import { createBoss, type PgBoss } from '@baton/db/queue';
import {
  agentBoardPosts,
  claudeSessions,
  taskInputs,
  tasks,
  taskTrees,
  usageEvents,
} from '@baton/db/schema';
import { TRPCError } from '@trpc/server';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, makeTeam, makeUser, rejection, setupHarness } from '../../test/harness';
import { AppError } from '../errors';
import { createCallerFactory, createTRPCContext, createTRPCRouter, publicProcedure } from '../trpc';
import { coordinationAsAppError } from './errors';
import { type AgentScope, createPgTaskQueue } from './index';

let h: Harness;
let boss: PgBoss;
let userId: string;
let teamId: string;
let otherTeamId: string;

function queueFor(
  scope: Partial<AgentScope> = {},
  options?: Parameters<typeof createPgTaskQueue>[2],
) {
  return createPgTaskQueue(
    { db: h.client.db, pool: h.client.pool, boss: async () => boss },
    { teamId, userId, ...scope },
    { pollMs: 25, ...options },
  );
}

async function coordinationError(p: Promise<unknown>): Promise<CoordinationError> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(CoordinationError);
  return err as unknown as CoordinationError;
}

async function taskCount(): Promise<number> {
  const [row] = await h.client.db.select({ n: sql<number>`count(*)::int` }).from(tasks);
  return row!.n;
}

async function jobCount(): Promise<number> {
  const { rows } = await h.client.pool.query<{ n: number }>(
    `select count(*)::int as n from pgboss.job where name = $1`,
    [JOBS.runTask],
  );
  return rows[0]!.n;
}

async function treeOf(rootId: string) {
  const [row] = await h.client.db.select().from(taskTrees).where(eq(taskTrees.rootTaskId, rootId));
  return row;
}

async function setStatus(ids: string[], status: 'succeeded' | 'failed' | 'running') {
  await h.client.db
    .update(tasks)
    .set({ status, finishedAt: status === 'running' ? null : new Date() })
    .where(inArray(tasks.id, ids));
}

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 4 });
  const user = await makeUser(h, 'Lena Lead');
  userId = user.user.id;
  teamId = await makeTeam(h, 'agents', [[user, 'member']]);
  otherTeamId = await makeTeam(h, 'others', [[user, 'member']]);
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await h?.close();
});

describe('spawn', () => {
  it('queues a root with its tree, then children at depth 1 under it, each with its job', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Lead the review', role: 'lead', budgetUsd: 2 });
    expect(root).toEqual({
      agentId: root.agentId,
      rootId: root.agentId,
      depth: 0,
      status: 'queued',
    });
    const tree = await treeOf(root.rootId);
    expect(tree).toMatchObject({
      teamId,
      strategy: 'hierarchical',
      maxAgents: 8,
      maxDepth: 2,
      agents: 1,
      budgetUsd: '2.000000',
      status: 'running',
    });

    const a = await q.spawn({ task: 'Read the diff', parentId: root.agentId, role: 'reader' });
    const b = await q.spawn({
      task: 'Run the tests',
      parentId: root.agentId,
      backend: 'claude-code',
      model: 'claude-haiku-4-5',
      budgetUsd: 5,
      options: { maxTurns: 3, system: 'Be brief.' },
    });
    expect(a).toMatchObject({ rootId: root.agentId, depth: 1, status: 'queued' });
    expect(b).toMatchObject({ rootId: root.agentId, depth: 1, status: 'queued' });

    const rows = await h.client.db
      .select()
      .from(tasks)
      .where(inArray(tasks.id, [root.agentId, a.agentId, b.agentId]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(root.agentId)).toMatchObject({
      rootTaskId: root.agentId,
      parentTaskId: null,
      depth: 0,
      role: 'lead',
      createdBy: userId,
      budgetUsd: '2.000000',
    });
    // The child inherits the parent's backend and model when it names none.
    expect(byId.get(a.agentId)).toMatchObject({
      rootTaskId: root.agentId,
      parentTaskId: root.agentId,
      depth: 1,
      role: 'reader',
      backend: byId.get(root.agentId)!.backend,
      model: byId.get(root.agentId)!.model,
      createdBy: userId,
    });
    // $5 asked, $2 left in the tree: held to what is left.
    expect(byId.get(b.agentId)).toMatchObject({
      backend: 'claude-code',
      model: 'claude-haiku-4-5',
      budgetUsd: '2.000000',
      options: { maxTurns: 3, system: 'Be brief.' },
    });
    for (const id of [root.agentId, a.agentId, b.agentId]) {
      const task = byId.get(id)!;
      const job = await boss.getJobById(JOBS.runTask, task.jobId!);
      expect(job?.data).toMatchObject({ taskId: id, teamId });
      expect(job?.state).toBe('created');
    }
    expect((await treeOf(root.rootId))?.agents).toBe(3);
  });

  it('creates a tree around a parent that has none', async () => {
    const q = queueFor();
    const [plain] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'An ordinary task', model: 'claude-haiku-4-5', backend: 'api' })
      .returning();
    const child = await q.spawn({ task: 'Help it', parentId: plain!.id });
    expect(child).toMatchObject({ rootId: plain!.id, depth: 1 });
    const [parent] = await h.client.db.select().from(tasks).where(eq(tasks.id, plain!.id));
    expect(parent?.rootTaskId).toBe(plain!.id);
    expect((await treeOf(plain!.id))?.agents).toBe(2);
  });

  it('names the invalid field and writes nothing', async () => {
    const q = queueFor();
    const before = [await taskCount(), await jobCount()];
    const empty = await coordinationError(q.spawn({ task: '   ' }));
    expect(empty.code).toBe('INVALID');
    expect(empty.details.field).toBe('task');
    const negative = await coordinationError(q.spawn({ task: 'x', budgetUsd: -1 }));
    expect(negative).toMatchObject({ code: 'INVALID', details: { field: 'budgetUsd' } });
    const option = await coordinationError(q.spawn({ task: 'x', options: { cwd: '/etc' } }));
    expect(option).toMatchObject({ code: 'INVALID', details: { field: 'options.cwd' } });
    // A field of task.submit's own validation, under the name the spawn gave it.
    const turns = await coordinationError(q.spawn({ task: 'x', options: { maxTurns: 0 } }));
    expect(turns).toMatchObject({ code: 'INVALID', details: { field: 'options.maxTurns' } });
    expect([await taskCount(), await jobCount()]).toEqual(before);
  });

  it('refuses past max_agents with TREE_LIMIT and leaves no task or job behind', async () => {
    const q = queueFor({}, { limits: { maxAgents: 2 } });
    const root = await q.spawn({ task: 'Root' });
    await q.spawn({ task: 'One', parentId: root.agentId });
    const before = [await taskCount(), await jobCount()];
    const err = await coordinationError(q.spawn({ task: 'Two', parentId: root.agentId }));
    expect(err.code).toBe('TREE_LIMIT');
    expect(err.message).toBe('The tree holds its maximum of 2 agents.');
    expect(err.details).toMatchObject({ limit: 'maxAgents', maxAgents: 2 });
    expect([await taskCount(), await jobCount()]).toEqual(before);
    expect((await treeOf(root.rootId))?.agents).toBe(2);
  });

  it('refuses an agent deeper than max_depth', async () => {
    const q = queueFor({}, { limits: { maxDepth: 1 } });
    const root = await q.spawn({ task: 'Root' });
    const child = await q.spawn({ task: 'Child', parentId: root.agentId });
    const before = await taskCount();
    const err = await coordinationError(q.spawn({ task: 'Grandchild', parentId: child.agentId }));
    expect(err.code).toBe('TREE_LIMIT');
    expect(err.message).toContain('maximum depth of 1');
    expect(err.details).toMatchObject({ limit: 'maxDepth', maxDepth: 1, depth: 2 });
    expect(await taskCount()).toBe(before);
    expect((await treeOf(root.rootId))?.agents).toBe(2);
  });

  it('refuses once the tree spent its budget (TREE_BUDGET, with spent and budget)', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root', budgetUsd: 1 });
    await h.client.db
      .update(taskTrees)
      .set({ spentUsd: '1.25' })
      .where(eq(taskTrees.rootTaskId, root.rootId));
    const before = [await taskCount(), await jobCount()];
    const err = await coordinationError(q.spawn({ task: 'Child', parentId: root.agentId }));
    expect(err.code).toBe('TREE_BUDGET');
    expect(err.details).toMatchObject({ budgetUsd: 1, spentUsd: 1.25 });
    expect(err.message).toBe("The tree's budget of $1.00 is spent ($1.25 spent).");
    expect([await taskCount(), await jobCount()]).toEqual(before);
  });

  it('refuses a stopped tree with TREE_STOPPED and its reason', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    await h.client.db
      .update(taskTrees)
      .set({ status: 'succeeded', stopReason: 'goal met' })
      .where(eq(taskTrees.rootTaskId, root.rootId));
    const err = await coordinationError(q.spawn({ task: 'Child', parentId: root.agentId }));
    expect(err.code).toBe('TREE_STOPPED');
    expect(err.message).toContain('goal met');
    expect(err.details).toMatchObject({ status: 'succeeded', stopReason: 'goal met' });
  });

  it('never holds more than max_agents, however many spawn at once', async () => {
    const q = queueFor({}, { limits: { maxAgents: 3 } });
    const root = await q.spawn({ task: 'Root' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => q.spawn({ task: `Child ${i}`, parentId: root.agentId })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(2);
    expect(refused).toHaveLength(6);
    for (const r of refused) expect((r.reason as CoordinationError).code).toBe('TREE_LIMIT');
    const [row] = await h.client.db
      .select({ n: sql<number>`count(*)::int` })
      .from(tasks)
      .where(eq(tasks.rootTaskId, root.rootId));
    expect(row!.n).toBe(3);
    expect((await treeOf(root.rootId))?.agents).toBe(3);
  });
});

describe('scope', () => {
  it('a task-scoped caller sees only its tree; spawns go under its task', async () => {
    const lead = queueFor();
    const mine = await lead.spawn({ task: 'My root' });
    const theirs = await lead.spawn({ task: 'Their root' });
    const scoped = queueFor({ rootTaskId: mine.rootId, taskId: mine.agentId });

    const child = await scoped.spawn({ task: 'Under me' });
    expect(child).toMatchObject({ rootId: mine.rootId, depth: 1 });
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, child.agentId));
    expect(row?.parentTaskId).toBe(mine.agentId);

    expect((await coordinationError(scoped.get(theirs.agentId))).code).toBe('NOT_FOUND');
    expect((await coordinationError(scoped.tree(theirs.rootId))).code).toBe('NOT_FOUND');
    expect(
      (await coordinationError(scoped.spawn({ task: 'x', parentId: theirs.agentId }))).code,
    ).toBe('NOT_FOUND');
    expect((await coordinationError(scoped.cancel(theirs.agentId, 'no'))).code).toBe('NOT_FOUND');
    expect((await coordinationError(scoped.list({ rootId: theirs.rootId }))).code).toBe(
      'NOT_FOUND',
    );
    const visible = await scoped.list();
    expect(new Set(visible.map((a) => a.rootId))).toEqual(new Set([mine.rootId]));

    // Another team's queue sees none of this team's agents; a malformed id is not found either.
    const other = createPgTaskQueue(
      { db: h.client.db, pool: h.client.pool, boss: async () => boss },
      { teamId: otherTeamId, userId },
    );
    expect((await coordinationError(other.get(mine.agentId))).code).toBe('NOT_FOUND');
    expect((await coordinationError(other.get('not-a-uuid'))).code).toBe('NOT_FOUND');
  });
});

describe('wait', () => {
  it('returns once every agent is terminal, with their records', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    const a = await q.spawn({ task: 'A', parentId: root.agentId });
    const b = await q.spawn({ task: 'B', parentId: root.agentId });
    const progress: string[][] = [];
    const waiting = q.wait([a.agentId, b.agentId], {
      timeoutMs: 20_000,
      onProgress: (agents) => progress.push(agents.map((x) => x.status)),
    });
    await new Promise((r) => setTimeout(r, 100));
    await setStatus([a.agentId], 'succeeded');
    await new Promise((r) => setTimeout(r, 100));
    await setStatus([b.agentId], 'failed');
    const { agents, timedOut } = await waiting;
    expect(timedOut).toBe(false);
    expect(agents.map((x) => [x.agentId, x.status])).toEqual([
      [a.agentId, 'succeeded'],
      [b.agentId, 'failed'],
    ]);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toEqual(['succeeded', 'failed']);
    // Terminal with no usage row: it never called a model.
    expect(agents[0]!.proof).toEqual({ sessionId: null, requestIds: [], noModelCall: true });
  });

  it('times out boundedly, never hangs, and stops when aborted', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Still queued' });
    const started = Date.now();
    const { agents, timedOut } = await q.wait([root.agentId], { timeoutMs: 300 });
    const took = Date.now() - started;
    expect(timedOut).toBe(true);
    expect(agents[0]?.status).toBe('queued');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(10_000);

    const controller = new AbortController();
    const aborted = q.wait([root.agentId], {
      timeoutMs: WAIT_MAX_MS * 10,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(aborted);
    expect(err.name).toBe('AbortError');
  });

  it('an unknown agent is NOT_FOUND', async () => {
    const q = queueFor();
    const err = await coordinationError(q.wait(['00000000-0000-4000-8000-000000000000']));
    expect(err.code).toBe('NOT_FOUND');
  });
});

describe('get', () => {
  it('sums usage and shows the proof: session and request ids, oldest first', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    const [session] = await h.client.db
      .insert(claudeSessions)
      .values({
        teamId,
        taskId: root.agentId,
        backend: 'api',
        model: 'claude-haiku-4-5',
        providerSessionId: 'conv_root_1',
      })
      .returning();
    const base = {
      taskId: root.agentId,
      teamId,
      sessionId: session!.id,
      model: 'claude-haiku-4-5',
    };
    await h.client.db.insert(usageEvents).values([
      {
        ...base,
        providerRequestId: 'req_b',
        messageId: 'm2',
        inputTokens: 20,
        outputTokens: 7,
        cacheReadTokens: 3,
        costUsd: '0.0001000000',
        createdAt: new Date('2026-12-01T10:00:02Z'),
      },
      {
        ...base,
        providerRequestId: 'req_a',
        messageId: 'm1',
        inputTokens: 10,
        outputTokens: 5,
        cacheWrite5mTokens: 4,
        costUsd: '0.0000350000',
        createdAt: new Date('2026-12-01T10:00:01Z'),
      },
    ]);
    await setStatus([root.agentId], 'succeeded');
    const record = await q.get(root.agentId);
    expect(record.usage).toEqual({
      requests: 2,
      inputTokens: 30,
      outputTokens: 12,
      cacheWriteTokens: 4,
      cacheReadTokens: 3,
    });
    expect(record.costUsd).toBeCloseTo(0.000135, 10);
    expect(record.proof).toEqual({
      sessionId: 'conv_root_1',
      requestIds: ['req_a', 'req_b'],
      noModelCall: false,
    });
  });
});

describe('cancel', () => {
  it('cancelling the root cancels every descendant and stops the tree', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    const a = await q.spawn({ task: 'A', parentId: root.agentId });
    const a1 = await q.spawn({ task: 'A1', parentId: a.agentId });
    const b = await q.spawn({ task: 'B', parentId: root.agentId });
    await setStatus([b.agentId], 'succeeded');
    await setStatus([a.agentId], 'running');

    const { cancelled } = await q.cancel(root.agentId, 'stopped by the lead');
    // root and a1 (queued: cancelled now), a (running: asked to stop); b had finished.
    expect(cancelled).toBe(3);
    const rows = await h.client.db
      .select()
      .from(tasks)
      .where(inArray(tasks.id, [root.agentId, a.agentId, a1.agentId, b.agentId]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(root.agentId)).toMatchObject({
      status: 'cancelled',
      statusReason: 'stopped by the lead',
    });
    expect(byId.get(a1.agentId)).toMatchObject({ status: 'cancelled' });
    expect(byId.get(a.agentId)?.status).toBe('running');
    expect(byId.get(a.agentId)?.cancelRequestedAt).toBeInstanceOf(Date);
    expect(byId.get(b.agentId)?.status).toBe('succeeded');
    const tree = await q.tree(root.rootId);
    expect(tree).toMatchObject({
      status: 'cancelled',
      stopReason: 'stopped by the lead',
      agents: 4,
    });
    expect((await coordinationError(q.spawn({ task: 'late', parentId: root.agentId }))).code).toBe(
      'TREE_STOPPED',
    );
  });

  it('cancelling a child stops its subtree only', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    const a = await q.spawn({ task: 'A', parentId: root.agentId });
    const a1 = await q.spawn({ task: 'A1', parentId: a.agentId });
    const b = await q.spawn({ task: 'B', parentId: root.agentId });
    expect(await q.cancel(a.agentId, 'not needed')).toEqual({ cancelled: 2 });
    const statuses = await q.list({ rootId: root.rootId });
    expect(Object.fromEntries(statuses.map((s) => [s.agentId, s.status]))).toEqual({
      [root.agentId]: 'queued',
      [a.agentId]: 'cancelled',
      [a1.agentId]: 'cancelled',
      [b.agentId]: 'queued',
    });
    expect((await q.tree(root.rootId)).status).toBe('running');
  });
});

describe('board', () => {
  it('keeps posts in order, reads after an id, and refuses on a stopped tree', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Mesh root' });
    const peer = await q.spawn({ task: 'Peer', parentId: root.agentId });
    const first = await q.post(root.rootId, {
      agentId: peer.agentId,
      kind: 'finding',
      body: 'one',
    });
    const second = await q.post(root.rootId, {
      agentId: peer.agentId,
      round: 2,
      kind: 'vote',
      body: 'two',
    });
    const third = await q.post(root.rootId, { kind: 'note', body: 'three' });
    expect(second.id).toBeGreaterThan(first.id);
    expect((await q.board(root.rootId)).map((p) => [p.body, p.round, p.kind, p.agentId])).toEqual([
      ['one', 1, 'finding', peer.agentId],
      ['two', 2, 'vote', peer.agentId],
      ['three', 1, 'note', null],
    ]);
    expect((await q.board(root.rootId, { afterId: first.id })).map((p) => p.id)).toEqual([
      second.id,
      third.id,
    ]);

    const tooLong = await coordinationError(
      q.post(root.rootId, { kind: 'note', body: 'x'.repeat(20_001) }),
    );
    expect(tooLong).toMatchObject({ code: 'INVALID', details: { field: 'body' } });
    expect((await coordinationError(q.post(root.rootId, { kind: 'note', body: '' }))).code).toBe(
      'INVALID',
    );
    const outsider = await q.spawn({ task: 'Elsewhere' });
    expect(
      (
        await coordinationError(
          q.post(root.rootId, { agentId: outsider.agentId, kind: 'note', body: 'x' }),
        )
      ).code,
    ).toBe('NOT_FOUND');

    await q.cancel(root.agentId, 'done');
    const stopped = await coordinationError(q.post(root.rootId, { kind: 'note', body: 'late' }));
    expect(stopped.code).toBe('TREE_STOPPED');
    const rows = await h.client.db
      .select()
      .from(agentBoardPosts)
      .where(eq(agentBoardPosts.rootTaskId, root.rootId));
    expect(rows).toHaveLength(3);
  });

  it('createTree makes a mesh around an existing task, once', async () => {
    const q = queueFor();
    const [plain] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'Coordinate', model: 'claude-haiku-4-5', backend: 'api' })
      .returning();
    const tree = await q.createTree(plain!.id, {
      strategy: 'mesh',
      goal: 'Agree on a name',
      limits: { maxAgents: 4, maxDepth: 1, maxConcurrent: 2, budgetUsd: 3, budgetTokens: null },
      maxRounds: 2,
    });
    expect(tree).toEqual({
      rootId: plain!.id,
      strategy: 'mesh',
      goal: 'Agree on a name',
      limits: { maxAgents: 4, maxDepth: 1, maxConcurrent: 2, budgetUsd: 3, budgetTokens: null },
      maxRounds: 2,
      agents: 1,
      spentUsd: 0,
      spentTokens: 0,
      status: 'running',
      stopReason: null,
    });
    const again = await coordinationError(
      q.createTree(plain!.id, { strategy: 'mesh', limits: tree.limits }),
    );
    expect(again).toMatchObject({ code: 'INVALID', details: { field: 'rootId' } });
    const pastRounds = await coordinationError(
      q.post(plain!.id, { kind: 'vote', round: 3, body: 'late vote' }),
    );
    expect(pastRounds).toMatchObject({ code: 'TREE_LIMIT', details: { limit: 'maxRounds' } });
  });
});

describe('sendInput', () => {
  it('keeps the input; a running agent is left to take it, a finished one is queued again', async () => {
    const q = queueFor();
    const root = await q.spawn({ task: 'Root' });
    const [before] = await h.client.db.select().from(tasks).where(eq(tasks.id, root.agentId));

    await setStatus([root.agentId], 'running');
    const running = await q.sendInput(root.agentId, 'Also check the README');
    expect(running.status).toBe('running');

    await setStatus([root.agentId], 'succeeded');
    const again = await q.sendInput(root.agentId, 'Now fix what you found');
    expect(again.status).toBe('queued');
    const [after] = await h.client.db.select().from(tasks).where(eq(tasks.id, root.agentId));
    expect(after?.jobId).toBeTruthy();
    expect(after?.jobId).not.toBe(before?.jobId);
    const job = await boss.getJobById(JOBS.runTask, after!.jobId!);
    expect(job?.data).toMatchObject({ taskId: root.agentId, redrive: true });

    const inputs = await h.client.db
      .select()
      .from(taskInputs)
      .where(eq(taskInputs.taskId, root.agentId))
      .orderBy(taskInputs.id);
    expect(inputs.map((i) => [i.message, i.createdBy, i.consumedAt])).toEqual([
      ['Also check the README', userId, null],
      ['Now fix what you found', userId, null],
    ]);

    expect((await coordinationError(q.sendInput(root.agentId, ' '))).details.field).toBe('message');
    await q.cancel(root.agentId, 'enough');
    const stopped = await coordinationError(q.sendInput(root.agentId, 'one more'));
    expect(stopped.code).toBe('TREE_STOPPED');
    const [n] = await h.client.db
      .select({ n: sql<number>`count(*)::int` })
      .from(taskInputs)
      .where(eq(taskInputs.taskId, root.agentId));
    expect(n!.n).toBe(2);
  });
});

describe('error mapping', () => {
  it('maps each coordination code to the AppError the tRPC layer knows, keeping the code', () => {
    const mapped = coordinationAsAppError(
      new CoordinationError('TREE_BUDGET', 'spent', { budgetUsd: 1, spentUsd: 2 }),
    );
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      message: 'spent',
      meta: { budgetUsd: 1, spentUsd: 2, coordination: 'TREE_BUDGET' },
    });
    const codes = (['TREE_LIMIT', 'TREE_STOPPED', 'NOT_FOUND', 'INVALID'] as const).map(
      (c) => (coordinationAsAppError(new CoordinationError(c, c)) as AppError).code,
    );
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'NOT_FOUND', 'BAD_REQUEST']);
    const other = new Error('other');
    expect(coordinationAsAppError(other)).toBe(other);
  });

  it('a procedure that throws a CoordinationError fails with the mapped tRPC code', async () => {
    const router = createTRPCRouter({
      full: publicProcedure.mutation(() => {
        throw new CoordinationError('TREE_LIMIT', 'The tree holds its maximum of 2 agents.', {
          limit: 'maxAgents',
        });
      }),
    });
    const ctx = await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.database.url,
      session: null,
    });
    const err = await rejection(createCallerFactory(router)(ctx).full());
    expect(err).toBeInstanceOf(TRPCError);
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('The tree holds its maximum of 2 agents.');
    expect(err.cause).toMatchObject({
      code: 'CONFLICT',
      meta: { limit: 'maxAgents', coordination: 'TREE_LIMIT' },
    });
  });
});

// Keeps the TaskQueue type honest: the implementation is assignable to core's interface.
const _typed: (s: AgentScope) => TaskQueue = (s) =>
  createPgTaskQueue({ db: h.client.db, pool: h.client.pool, boss: async () => boss }, s);
void _typed;
