import { CHANNELS } from '@baton/db/jobs';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { taskEvents, tasks, usageEvents } from '@baton/db/schema';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, createTRPCContext } from '../src/index';
import { WATCH_POLL_MS } from '../src/router/task';
import type { AuthSession } from '../src/trpc';
import { fieldErrorOf, type Harness, makeTeam, makeUser, rejection, setupHarness } from './harness';

let h: Harness;
let boss: PgBoss;
let member: AuthSession;
let viewer: AuthSession;
let teamId: string;

async function as(session: AuthSession) {
  return createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.database.url,
      session,
      boss: async () => boss,
    }),
  );
}

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 2 });
  member = await makeUser(h, 'Mia Member');
  viewer = await makeUser(h, 'Victor Viewer');
  teamId = await makeTeam(h, 'tasks', [
    [member, 'member'],
    [viewer, 'viewer'],
  ]);
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await h?.close();
});

describe('task.submit', () => {
  it('creates the task and its job in one go', async () => {
    const api = await as(member);
    const { id, status } = await api.task.submit({
      teamId,
      prompt: 'Say hi',
      backend: 'claude-code',
      model: 'claude-sonnet-4-5',
      fallbackModels: ['claude-haiku-4-5'],
      maxTurns: 4,
      budgetUsd: 1.5,
      priority: 10,
    });
    expect(status).toBe('queued');
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row).toMatchObject({
      createdBy: member.user.id,
      backend: 'claude-code',
      fallbackModels: ['claude-haiku-4-5'],
      options: { maxTurns: 4 },
      budgetUsd: '1.500000',
      priority: 10,
    });
    expect(row?.options).toEqual({ maxTurns: 4 });
    expect(row?.jobId).toBeTruthy();
    const job = await boss.getJobById('baton-task-run', row!.jobId!);
    expect(job?.data).toMatchObject({ taskId: id, teamId });
  });

  it('names the invalid fields', async () => {
    const api = await as(member);
    const err = await rejection(
      api.task.submit({
        teamId,
        prompt: '  ',
        backend: 'api',
        model: 'bad model',
        maxTurns: 0,
        priority: 1000,
      }),
    );
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    const fields = (err.cause as { issues: { path: string[] }[] }).issues.map((i) =>
      i.path.join('.'),
    );
    expect(fields).toEqual(expect.arrayContaining(['prompt', 'model', 'maxTurns', 'priority']));
  });

  it('refuses viewers', async () => {
    const api = await as(viewer);
    const err = await rejection(
      api.task.submit({ teamId, prompt: 'x', backend: 'api', model: 'claude-haiku-4-5' }),
    );
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('task.list filters', () => {
  it('filters by backend, model, user, date and search', async () => {
    const api = await as(member);
    const old = new Date('2026-01-01T00:00:00Z');
    await h.client.db.insert(tasks).values([
      { teamId, prompt: 'Refactor the parser', model: 'm-one', backend: 'api', createdAt: old },
      {
        teamId,
        prompt: 'Write docs',
        title: 'Docs pass',
        model: 'm-two',
        backend: 'claude-code',
        createdBy: viewer.user.id,
      },
    ]);
    const ids = async (input: Record<string, unknown>) =>
      (await api.task.list({ teamId, ...input })).items.map((t) => t.promptPreview);
    expect(await ids({ model: 'm-one' })).toEqual(['Refactor the parser']);
    expect(await ids({ backend: ['claude-code'], search: 'docs' })).toEqual(['Write docs']);
    expect(await ids({ createdBy: viewer.user.id })).toEqual(['Write docs']);
    expect(await ids({ to: new Date('2026-02-01T00:00:00Z') })).toEqual(['Refactor the parser']);
    expect(await ids({ search: 'PARSER' })).toEqual(['Refactor the parser']);
    expect(await ids({ search: '100%_' })).toEqual([]);
    const facets = await api.task.facets({ teamId });
    expect(facets.models).toEqual(expect.arrayContaining(['m-one', 'm-two']));
    expect(facets.users.map((u) => u.id).sort()).toEqual([member.user.id, viewer.user.id].sort());
  });
});

describe('cancel, retry, children', () => {
  it('cancels a queued task, then re-drives it', async () => {
    const api = await as(member);
    const { id } = await api.task.submit({
      teamId,
      prompt: 'Long job',
      backend: 'api',
      model: 'claude-haiku-4-5',
    });
    expect(await api.task.cancel({ teamId, taskId: id })).toEqual({ outcome: 'cancelled' });
    expect(await rejection(api.task.cancel({ teamId, taskId: id }))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(await rejection((await as(viewer)).task.retry({ teamId, taskId: id }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await api.task.retry({ teamId, taskId: id })).toEqual({ status: 'queued' });
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, id));
    expect(row?.status).toBe('queued');
  });

  it("cancelling an agent tree's root stops the whole tree: its agents, and any new spawn", async () => {
    const api = await as(member);
    const [root] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'lead', model: 'claude-haiku-4-5' })
      .returning();
    await h.client.db.update(tasks).set({ rootTaskId: root!.id }).where(eq(tasks.id, root!.id));
    await h.client.pool.query(
      `insert into task_trees (root_task_id, team_id, max_agents, max_depth, max_concurrent, agents)
       values ($1, $2, 8, 2, 4, 3)`,
      [root!.id, teamId],
    );
    const kids = await h.client.db
      .insert(tasks)
      .values(
        ['a', 'b'].map((p) => ({
          teamId,
          prompt: p,
          model: 'claude-haiku-4-5',
          parentTaskId: root!.id,
          rootTaskId: root!.id,
          depth: 1,
        })),
      )
      .returning();
    expect(await api.task.cancel({ teamId, taskId: root!.id })).toEqual({
      outcome: 'cancelled',
      agents: 3,
    });
    const rows = await h.client.db
      .select({ status: tasks.status })
      .from(tasks)
      .where(inArray(tasks.id, [root!.id, ...kids.map((k) => k.id)]));
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const { rows: trees } = await h.client.pool.query(
      `select status, stop_reason from task_trees where root_task_id = $1`,
      [root!.id],
    );
    expect(trees[0]).toEqual({ status: 'cancelled', stop_reason: 'cancelled by Mia Member' });
    expect(await rejection(api.task.cancel({ teamId, taskId: kids[0]!.id }))).toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('returns the child tree depth-first', async () => {
    const api = await as(member);
    const [root] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'root', model: 'm' })
      .returning();
    const [a] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'a', model: 'm', parentTaskId: root!.id })
      .returning();
    await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'a1', model: 'm', parentTaskId: a!.id });
    const tree = await api.task.children({ teamId, taskId: root!.id });
    expect(tree.map((t) => [t.promptPreview, t.depth])).toEqual([
      ['a', 1],
      ['a1', 2],
    ]);
  });
});

describe('task.watch', () => {
  it('streams existing events, then new ones on NOTIFY, with status and cost, and resumes from lastEventId', async () => {
    const api = await as(viewer);
    const [task] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'stream me', model: 'claude-haiku-4-5', status: 'running' })
      .returning();
    const taskId = task!.id;
    await h.client.db.insert(taskEvents).values([
      { taskId, seq: 1, type: 'attempt_started', data: {} },
      { taskId, seq: 2, type: 'text', data: { text: 'Hel' } },
    ]);
    const stream = await api.task.watch({ teamId, taskId });
    const it = stream[Symbol.asyncIterator]();
    const next = async () => {
      const r = await it.next();
      return (r.value as unknown as [string, { kind: string; event?: { seq: number } }]) ?? null;
    };
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [id, data] = await next();
      seen.push(`${id}:${data.kind}`);
    }
    expect(seen).toEqual(['1:event', '2:event', '2:task']);

    const started = Date.now();
    await h.client.db.transaction(async (tx) => {
      await tx.insert(taskEvents).values({ taskId, seq: 3, type: 'text', data: { text: 'lo' } });
      await tx.insert(usageEvents).values([
        {
          providerRequestId: 'req_1',
          messageId: 'msg_1',
          taskId,
          teamId,
          model: 'claude-haiku-4-5',
          inputTokens: 10,
          outputTokens: 5,
          costUsd: '0.0000350000',
        },
        // A response cut off before its final usage: its output is an estimate.
        {
          providerRequestId: 'req_2',
          messageId: 'msg_2',
          taskId,
          teamId,
          model: 'claude-haiku-4-5',
          outputTokens: 3,
          outputEstimated: true,
          status: 'error',
        },
      ]);
      await tx.update(tasks).set({ status: 'succeeded' }).where(eq(tasks.id, taskId));
      await tx.execute(sql`select pg_notify(${CHANNELS.taskEvents}, ${taskId})`);
    });
    const [id3, ev3] = await next();
    expect(id3).toBe('3');
    expect(ev3.event?.seq).toBe(3);
    const [, snap] = (await next()) as unknown as [
      string,
      {
        kind: string;
        task: { status: string };
        usage: { costUsd: string; inputTokens: number; estimated: number };
      },
    ];
    expect(snap.task.status).toBe('succeeded');
    expect(snap.usage).toMatchObject({
      costUsd: '0.000035',
      inputTokens: 10,
      outputTokens: 8,
      requests: 2,
      errors: 1,
      estimated: 1,
    });
    // NOTIFY woke it well before the 2 s polling fallback.
    expect(Date.now() - started).toBeLessThan(1_500);
    await it.return?.();

    const resumed = await api.task.watch({ teamId, taskId, lastEventId: '2' });
    const it2 = resumed[Symbol.asyncIterator]();
    const first = (await it2.next()).value as unknown as [string, unknown];
    expect(first[0]).toBe('3');
    await it2.return?.();
  });

  it('ends a removed member’s stream at the next wake or within one poll, sending nothing more', async () => {
    const owner = await makeUser(h, 'Olive Owner');
    const woken = await makeUser(h, 'Walt Woken');
    const polled = await makeUser(h, 'Paula Polled');
    const team = await makeTeam(h, 'watched', [
      [owner, 'owner'],
      [woken, 'viewer'],
      [polled, 'member'],
    ]);
    const [task] = await h.client.db
      .insert(tasks)
      .values({ teamId: team, prompt: 'watched', model: 'claude-haiku-4-5', status: 'running' })
      .returning();
    const taskId = task!.id;
    await h.client.db.insert(taskEvents).values({ taskId, seq: 1, type: 'text', data: {} });
    const open = async (s: AuthSession) => {
      const it = (await (await as(s)).task.watch({ teamId: team, taskId }))[Symbol.asyncIterator]();
      // The event, then the task's snapshot.
      expect(((await it.next()).value as unknown as [string])[0]).toBe('1');
      expect(((await it.next()).value as unknown as [string, { kind: string }])[1].kind).toBe(
        'task',
      );
      return it;
    };
    const a = await open(woken);
    const b = await open(polled);
    const ownerApi = await as(owner);

    // Removed, then the task has news (an event and a NOTIFY): the stream ends instead of sending it.
    await ownerApi.team.removeMember({ teamId: team, userId: woken.user.id });
    await h.client.db.insert(taskEvents).values({ taskId, seq: 2, type: 'text', data: {} });
    let started = Date.now();
    await h.client.db.execute(sql`select pg_notify(${CHANNELS.taskEvents}, ${taskId})`);
    const ended = await rejection(a.next());
    expect(ended).toMatchObject({ code: 'FORBIDDEN' });
    expect(ended.message).toBe(
      'You are no longer a member of this team: the live view of this task has ended.',
    );
    expect(Date.now() - started).toBeLessThan(1_500);

    // The other member, still in the team, got event 2; then their stream waits for news.
    expect(((await b.next()).value as unknown as [string])[0]).toBe('2');
    const waiting = b.next();
    await new Promise((r) => setTimeout(r, 100));
    // Removed with no news at all: the next poll (every 2 s) ends it.
    started = Date.now();
    await ownerApi.team.removeMember({ teamId: team, userId: polled.user.id });
    const polledEnd = await rejection(waiting);
    expect(polledEnd).toMatchObject({ code: 'FORBIDDEN' });
    expect(Date.now() - started).toBeLessThan(WATCH_POLL_MS + 1_000);
  });

  it('refuses another team', async () => {
    const other = await makeUser(h, 'Oscar');
    await makeTeam(h, 'other', [[other, 'owner']]);
    const [task] = await h.client.db
      .insert(tasks)
      .values({ teamId, prompt: 'secret', model: 'm' })
      .returning();
    const api = await as(other);
    const err = await rejection(
      (async () => {
        const s = await api.task.watch({ teamId, taskId: task!.id });
        for await (const _ of s) break;
      })(),
    );
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('task defaults', () => {
  it('an admin sets the team’s task defaults; a task naming none gets them, one naming its own keeps it', async () => {
    const admin = await makeUser(h, 'Ada Admin');
    const teamId = await makeTeam(h, 'defaults', [
      [admin, 'admin'],
      [member, 'member'],
    ]);
    const asAdmin = await as(admin);
    const asMember = await as(member);
    const denied = await rejection(asMember.team.update({ teamId, defaultMaxTurns: 3 }));
    expect(denied.code).toBe('FORBIDDEN');
    const bad = await rejection(asAdmin.team.update({ teamId, defaultTimeoutMs: 10 }));
    expect(fieldErrorOf(bad)).toMatchObject({
      field: 'defaultTimeoutMs',
      message: 'At least 1 second.',
    });
    const set = await asAdmin.team.update({
      teamId,
      defaultTaskBudgetUsd: 0.25,
      defaultMaxTurns: 7,
      defaultTimeoutMs: 90_000,
    });
    expect(set).toMatchObject({
      defaultTaskBudgetUsd: '0.250000',
      defaultMaxTurns: 7,
      defaultTimeoutMs: 90_000,
    });
    const plain = await asMember.task.submit({
      teamId,
      prompt: 'defaults',
      backend: 'api',
      model: 'claude-haiku-4-5',
    });
    const own = await asMember.task.submit({
      teamId,
      prompt: 'its own',
      backend: 'api',
      model: 'claude-haiku-4-5',
      budgetUsd: 2,
      maxTurns: 2,
      timeoutMs: 5_000,
    });
    const rows = await h.client.db
      .select({
        id: tasks.id,
        budget: tasks.budgetUsd,
        timeout: tasks.timeoutMs,
        options: tasks.options,
      })
      .from(tasks)
      .where(inArray(tasks.id, [plain.id, own.id]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(plain.id)).toMatchObject({ budget: '0.250000', timeout: 90_000 });
    expect(byId.get(plain.id)!.options).toMatchObject({ maxTurns: 7 });
    expect(byId.get(own.id)).toMatchObject({ budget: '2.000000', timeout: 5_000 });
    expect(byId.get(own.id)!.options).toMatchObject({ maxTurns: 2 });
    // Cleared, a task gets none again.
    await asAdmin.team.update({
      teamId,
      defaultTaskBudgetUsd: null,
      defaultMaxTurns: null,
      defaultTimeoutMs: null,
    });
    const after = await asMember.task.submit({
      teamId,
      prompt: 'none',
      backend: 'api',
      model: 'claude-haiku-4-5',
    });
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, after.id));
    expect(row).toMatchObject({ budgetUsd: null, timeoutMs: null });
    expect((row!.options as Record<string, unknown>).maxTurns).toBeUndefined();
    await h.client.db.delete(tasks).where(inArray(tasks.id, [plain.id, own.id, after.id]));
  });
});
