import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type DbClient } from './client';
import { JOBS, parsePayload, runTaskPayload } from './jobs';
import { createBoss, lazyBoss, type PgBoss, queuePriority, quotaTier, submitTask } from './queue';
import { tasks, teams } from './schema/index';
import { createTestDatabase, type TestDatabase } from './testing';

let tdb: TestDatabase;
let client: DbClient;
let boss: PgBoss;
let teamId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  client = createDb(tdb.url);
  boss = await createBoss(tdb.url, { supervise: false });
  const [team] = await client.db.insert(teams).values({ name: 'Q', slug: 'q' }).returning();
  teamId = team!.id;
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await client?.close();
  await tdb?.drop();
});

describe('job contract', () => {
  it('accepts payloads from older and newer senders', () => {
    const base = {
      taskId: '8b0f1f3e-0d6a-4b8e-9a53-2c1c7f0f9f10',
      teamId: '5f9b2c4e-2f4c-4b0d-8a2e-0e4f9c1d2b3a',
    };
    expect(runTaskPayload.parse(base)).toEqual(base);
    // a newer sender's extra field survives an older worker's parse
    expect(runTaskPayload.parse({ ...base, traceId: 't-1' })).toMatchObject({ traceId: 't-1' });
  });

  it('names the job and field of a bad payload', () => {
    expect(() => parsePayload(JOBS.runTask, { taskId: 'nope', teamId: 'x' })).toThrow(
      /invalid baton-task-run payload: taskId/,
    );
  });
});

describe('submitTask', () => {
  it('writes the task and its job together', async () => {
    const task = await submitTask(client.db, boss, {
      teamId,
      prompt: 'hello',
      model: 'claude-sonnet-4-5',
      priority: 5,
      teamQuota: 2,
    });
    expect(task.jobId).toBeTruthy();
    const job = await boss.getJobById<{ taskId: string }>(JOBS.runTask, task.jobId!);
    expect(job?.data.taskId).toBe(task.id);
    // Priority 5, the first of its team waiting.
    expect(job?.priority).toBe(5_000_000);
    expect(job?.groupId).toBe(teamId);
    expect(job?.groupTier).toBe(quotaTier(2));
  });

  it('lets teams take turns: a flood’s later tasks queue behind another team’s next one', async () => {
    const [other] = await client.db
      .insert(teams)
      .values({ name: 'O', slug: 'o', shareWeight: 2 })
      .returning();
    const flood = [];
    for (let i = 0; i < 6; i++)
      flood.push(await submitTask(client.db, boss, { teamId, prompt: `f${i}`, model: 'm' }));
    const b = await submitTask(client.db, boss, { teamId: other!.id, prompt: 'b', model: 'm' });
    const b2 = await submitTask(client.db, boss, { teamId: other!.id, prompt: 'b2', model: 'm' });
    const urgent = await submitTask(client.db, boss, {
      teamId,
      prompt: 'u',
      model: 'm',
      priority: 1,
    });
    const prio = async (t: { jobId: string | null }) =>
      (await boss.getJobById(JOBS.runTask, t.jobId!))?.priority;
    // The team already had the first test's task waiting: its flood ranks 1..6.
    expect(await Promise.all(flood.map(prio))).toEqual([-1, -2, -3, -4, -5, -6]);
    expect(await prio(b)).toBe(0);
    expect(await prio(b2)).toBe(0); // weight 2: one waiting counts half
    expect(await prio(urgent)).toBe(1_000_000 - 7);
    expect(queuePriority(0, 10, 3)).toBe(-3);
  });

  it('writes neither when the task is invalid', async () => {
    const before = await client.db.$count(tasks, eq(tasks.teamId, teamId));
    const jobsBefore = (await boss.findJobs(JOBS.runTask)).length;
    await expect(
      submitTask(client.db, boss, { teamId, prompt: '', model: 'claude-sonnet-4-5' }),
    ).rejects.toThrow();
    expect(await client.db.$count(tasks, eq(tasks.teamId, teamId))).toBe(before);
    expect((await boss.findJobs(JOBS.runTask)).length).toBe(jobsBefore);
  });

  it('rolls the task back when the job cannot be written', async () => {
    const before = await client.db.$count(tasks, eq(tasks.teamId, teamId));
    const stopped = await createBoss(tdb.url, { supervise: false });
    await stopped.stop({ graceful: false });
    await expect(
      submitTask(client.db, stopped, {
        teamId,
        prompt: 'valid prompt',
        model: 'claude-sonnet-4-5',
      }),
    ).rejects.toThrow();
    expect(await client.db.$count(tasks, eq(tasks.teamId, teamId))).toBe(before);
  });
});

describe('lazyBoss', () => {
  it('starts the queue on first use, once; a failed start is tried again; stop stops it', async () => {
    const lazy = lazyBoss(tdb.url, { supervise: false, max: 1 });
    expect(lazy.started).toBe(false);
    await lazy.stop({ graceful: false }); // nothing started: nothing to stop
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(a).toBe(b);
    expect(lazy.started).toBe(true);
    await lazy.stop({ graceful: false, close: true });

    const broken = lazyBoss('postgresql://nobody@127.0.0.1:1/none', { supervise: false, max: 1 });
    await expect(broken.get()).rejects.toThrow();
    expect(broken.started).toBe(false);
    await expect(broken.get()).rejects.toThrow();
  });
});
