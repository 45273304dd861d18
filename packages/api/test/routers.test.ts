import { prices, taskEvents, tasks } from '@baton/db/schema';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { sql } from 'drizzle-orm';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createTRPCContext } from '../src/index';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, rejection, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let viewer: AuthSession;
let member: AuthSession;
let outsider: AuthSession;
let teamA: string;
let teamB: string;

beforeAll(async () => {
  h = await setupHarness();
  owner = await makeUser(h, 'Olivia Owner');
  viewer = await makeUser(h, 'Victor Viewer');
  member = await makeUser(h, 'Mia Member');
  outsider = await makeUser(h, 'Oscar Outsider');
  teamA = await makeTeam(h, 'alpha', [
    [owner, 'owner'],
    [viewer, 'viewer'],
    [member, 'member'],
  ]);
  teamB = await makeTeam(h, 'bravo', [[outsider, 'owner']]);
});

afterAll(async () => {
  await h?.close();
});

/** Calls a procedure over HTTP the way the console does, returning status and the decoded body. */
async function overHttp(session: AuthSession | null, path: string, input: unknown) {
  const mutation = /\.(create|update)$/.test(path);
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = `http://127.0.0.1:3000/api/trpc/${path}`;
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    router: appRouter,
    req: mutation
      ? new Request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: encoded,
        })
      : new Request(`${url}?input=${encodeURIComponent(encoded)}`),
    createContext: () =>
      createTRPCContext({
        headers: new Headers(),
        client: h.client,
        databaseUrl: h.database.url,
        session,
      }),
  });
  const body = (await res.json()) as {
    error?: { json: { message: string; data: Record<string, unknown> } };
  };
  return { status: res.status, error: body.error?.json };
}

describe('authentication and team authorization', () => {
  it('refuses signed-out callers on protected procedures', async () => {
    const anon = await callerFor(h, null);
    expect(await rejection(anon.team.list())).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await rejection(anon.system.health())).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await rejection(anon.price.list())).toMatchObject({ code: 'UNAUTHORIZED' });
    const http = await overHttp(null, 'team.list', undefined);
    expect(http.status).toBe(401);
  });

  it('lists only my teams, with my role', async () => {
    const mine = await (await callerFor(h, viewer)).team.list();
    expect(mine.map((t) => [t.slug, t.role, t.memberCount])).toEqual([['alpha', 'viewer', 3]]);
  });

  it('a non-member gets "not found" for every team procedure', async () => {
    const c = await callerFor(h, outsider);
    for (const call of [
      () => c.team.get({ teamId: teamA }),
      () => c.team.members({ teamId: teamA }),
      () => c.task.list({ teamId: teamA }),
      () => c.task.counts({ teamId: teamA }),
      () => c.task.byId({ teamId: teamA, taskId: teamA }),
      () => c.team.update({ teamId: teamA, name: 'pwned' }),
    ]) {
      expect(await rejection(call())).toMatchObject({
        code: 'NOT_FOUND',
        message: 'Team not found.',
      });
    }
    const http = await overHttp(outsider, 'team.get', { teamId: teamA });
    expect(http.status).toBe(404);
    expect(http.error?.data).toMatchObject({ code: 'NOT_FOUND', appError: { code: 'NOT_FOUND' } });
  });

  it('a viewer and a member may read but not administer the team', async () => {
    for (const who of [viewer, member]) {
      const c = await callerFor(h, who);
      await expect(c.team.get({ teamId: teamA })).resolves.toMatchObject({ slug: 'alpha' });
      const err = await rejection(c.team.update({ teamId: teamA, name: 'Renamed' }));
      expect(err).toMatchObject({ code: 'FORBIDDEN' });
      expect(err.message).toMatch(/admin role or higher/);
    }
    const http = await overHttp(viewer, 'team.update', { teamId: teamA, name: 'Renamed' });
    expect(http.status).toBe(403);
    expect(http.error?.data).toMatchObject({
      appError: { code: 'FORBIDDEN', meta: { requiredRole: 'admin', role: 'viewer' } },
    });
    const team = await (await callerFor(h, owner)).team.update({
      teamId: teamA,
      maxConcurrentTasks: 8,
    });
    expect(team).toMatchObject({ name: 'ALPHA', maxConcurrentTasks: 8 });
  });

  it('members are listed by role', async () => {
    const list = await (await callerFor(h, viewer)).team.members({ teamId: teamA });
    expect(list.map((m) => [m.name, m.role])).toEqual([
      ['Olivia Owner', 'owner'],
      ['Mia Member', 'member'],
      ['Victor Viewer', 'viewer'],
    ]);
  });
});

describe('team.create', () => {
  it('makes the creator the owner and derives the slug', async () => {
    const c = await callerFor(h, member);
    const team = await c.team.create({ name: '  Platform Team!  ' });
    expect(team).toMatchObject({ name: 'Platform Team!', slug: 'platform-team', role: 'owner' });
    const members = await c.team.members({ teamId: team.id });
    expect(members).toMatchObject([{ userId: member.user.id, role: 'owner' }]);
  });

  it('reports a taken slug as a conflict on the slug field', async () => {
    const c = await callerFor(h, viewer);
    expect(await rejection(c.team.create({ name: 'Another', slug: 'alpha' }))).toMatchObject({
      code: 'CONFLICT',
    });
    const http = await overHttp(viewer, 'team.create', { name: 'Another', slug: 'alpha' });
    expect(http.status).toBe(409);
    expect(http.error?.message).toBe('The slug "alpha" is taken.');
    expect(http.error?.data).toMatchObject({
      appError: { code: 'CONFLICT', meta: { field: 'slug' } },
    });
  });

  it('validation errors name the fields', async () => {
    const c = await callerFor(h, viewer);
    expect(await rejection(c.team.create({ name: '', slug: 'Bad Slug' }))).toMatchObject({
      code: 'BAD_REQUEST',
    });
    const http = await overHttp(viewer, 'team.create', { name: '   ', slug: 'Bad Slug' });
    expect(http.status).toBe(400);
    const zodError = http.error?.data.zodError as
      | { fieldErrors: Record<string, string[]> }
      | undefined;
    expect(Object.keys(zodError?.fieldErrors ?? {}).sort()).toEqual(['name', 'slug']);
    expect(zodError?.fieldErrors.name).toEqual(['Enter a team name.']);
    expect(zodError?.fieldErrors.slug?.[0]).toMatch(/lowercase letters/);

    const badTeam = await overHttp(owner, 'task.list', { teamId: 'nope' });
    expect(badTeam.status).toBe(400);
    expect(badTeam.error?.data.zodError).toEqual({
      formErrors: [],
      fieldErrors: { teamId: ['Not a valid team id.'] },
    });
    // Nested paths are dotted: the second status is the invalid one.
    const nested = await overHttp(owner, 'task.list', {
      teamId: teamA,
      status: ['running', 'bogus'],
    });
    expect(nested.status).toBe(400);
    expect(nested.error?.data.zodError).toMatchObject({ formErrors: [] });
    const zod = nested.error?.data.zodError as
      | { fieldErrors: Record<string, string[]> }
      | undefined;
    expect(Object.keys(zod?.fieldErrors ?? {})).toEqual(['status.1']);
  });
});

describe('tasks', () => {
  const statuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
  let firstTaskId: string;

  beforeAll(async () => {
    // 30 tasks in team A: 10 share one timestamp (tie-break on id), the rest a second apart.
    const base = new Date('2026-10-01T12:00:00Z').getTime();
    const rows = Array.from({ length: 30 }, (_, i) => ({
      teamId: teamA,
      createdBy: owner.user.id,
      title: `Task ${i}`,
      prompt: `Do thing number ${i}`,
      model: 'claude-sonnet-4-5',
      status: statuses[i % statuses.length],
      createdAt: new Date(i < 10 ? base : base + i * 1000),
    }));
    const inserted = await h.client.db.insert(tasks).values(rows).returning({ id: tasks.id });
    firstTaskId = inserted[0]!.id;
    await h.client.db
      .insert(tasks)
      .values({ teamId: teamB, prompt: 'secret', model: 'claude-haiku-4-5', status: 'running' });
    await h.client.db.insert(taskEvents).values([
      { taskId: firstTaskId, seq: 2, type: 'message', data: { text: 'second' } },
      { taskId: firstTaskId, seq: 1, type: 'started', data: {} },
    ]);
    // Microsecond timestamps: a JS-Date based cursor would lose this precision.
    await h.client.db.execute(
      sql`update ${tasks} set created_at = created_at + (random() * interval '900 microseconds') where team_id = ${teamA} and title in ('Task 20', 'Task 21')`,
    );
  });

  it('pages through every task exactly once, newest first', async () => {
    const c = await callerFor(h, viewer);
    const seen: string[] = [];
    const created: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof c.task.list>> = await c.task.list({
        teamId: teamA,
        limit: 7,
        cursor,
      });
      seen.push(...page.items.map((t) => t.id));
      created.push(...page.items.map((t) => t.createdAt.getTime()));
      expect(page.items.length).toBeLessThanOrEqual(7);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(30);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('filters by status and counts by status', async () => {
    const c = await callerFor(h, viewer);
    const running = await c.task.list({ teamId: teamA, status: ['running', 'failed'], limit: 100 });
    expect(running.items).toHaveLength(10);
    expect(new Set(running.items.map((t) => t.status))).toEqual(new Set(['running', 'failed']));
    expect(running.nextCursor).toBeNull();

    const counts = await c.task.counts({ teamId: teamA });
    expect(counts).toEqual({
      queued: 5,
      running: 5,
      succeeded: 5,
      failed: 5,
      cancelled: 5,
      timed_out: 5,
      // Every status is counted, including those no task here has (migration 0016's budget_exceeded).
      budget_exceeded: 0,
      total: 30,
    });
  });

  it('refuses a cursor from another team', async () => {
    const [other] = await h.client.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(sql`${tasks.teamId} = ${teamB}`);
    const c = await callerFor(h, owner);
    expect(await rejection(c.task.list({ teamId: teamA, cursor: other!.id }))).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('byId returns the task with its ordered events, only within its team', async () => {
    const c = await callerFor(h, viewer);
    const { task, events } = await c.task.byId({ teamId: teamA, taskId: firstTaskId });
    expect(task.title).toBe('Task 0');
    expect(events.map((e) => e.type)).toEqual(['started', 'message']);

    // The right team id but a task of another team: not found.
    const [other] = await h.client.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(sql`${tasks.teamId} = ${teamB}`);
    expect(await rejection(c.task.byId({ teamId: teamA, taskId: other!.id }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    // The outsider cannot read team A's task even with both ids.
    const o = await callerFor(h, outsider);
    expect(await rejection(o.task.byId({ teamId: teamA, taskId: firstTaskId }))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('overview aggregates only my teams', async () => {
    const mine = await (await callerFor(h, viewer)).task.overview({ latest: 5 });
    expect(mine.counts.total).toBe(30);
    expect(mine.latest).toHaveLength(5);
    expect(mine.latest.every((t) => t.teamSlug === 'alpha')).toBe(true);
    const theirs = await (await callerFor(h, outsider)).task.overview();
    expect(theirs.counts).toMatchObject({ total: 1, running: 1 });
    expect(theirs.latest.map((t) => t.promptPreview)).toEqual(['secret']);
  });
});

describe('price.list', () => {
  it('returns the seeded price table with exact decimals and the row in force', async () => {
    await h.client.db.insert(prices).values({
      modelPattern: 'claude-haiku-4-5*',
      validFrom: new Date(Date.now() + 86_400_000),
      inputPerMtok: '0.9',
      cacheWrite5mPerMtok: '1.1',
      cacheWrite1hPerMtok: '1.8',
      cacheReadPerMtok: '0.09',
      outputPerMtok: '4.5',
    });
    const list = await (await callerFor(h, viewer)).price.list();
    expect(list.length).toBe(14);
    const haiku = list.filter((p) => p.modelPattern === 'claude-haiku-4-5*');
    expect(haiku.map((p) => [p.inputPerMtok, p.current])).toEqual([
      ['0.900000', false],
      ['1.000000', true],
    ]);
    const sonnet5 = list.find((p) => p.modelPattern === 'claude-sonnet-5*');
    expect(sonnet5).toMatchObject({
      inputPerMtok: '2.000000',
      outputPerMtok: '10.000000',
      current: true,
    });
  });
});
