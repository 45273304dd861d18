import { createDb, type DbClient } from '@baton/db';
import { JOBS } from '@baton/db/jobs';
import { createBoss, type PgBoss, requestCancel, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { terminalTask, waitUntil } from '../test/wait';
import { TaskAbort } from './cancel';
import { settleTask, startTask } from './lifecycle';
import { createLogger } from './logger';
import type { RunContext, TaskRunner } from './runner';
import { type RunningWorker, startWorker } from './worker';

// The executor's lifecycle with a scripted runner: the prompt says what the
// attempt does. (The production runner, through @baton/core, is tested
// end to end against the simulator elsewhere.)
const attemptsSeen = new Map<string, number>();
const stallStarted = new Map<string, () => void>();
const stallResume = new Map<string, () => void>();
const stallAborted = new Map<string, unknown>();
const scripted: TaskRunner = {
  async run(ctx: RunContext) {
    const n = (attemptsSeen.get(ctx.task.id) ?? 0) + 1;
    attemptsSeen.set(ctx.task.id, n);
    const [kind] = ctx.task.prompt.split(' ');
    const usage = (id: string) =>
      ctx.recordUsage({
        providerRequestId: `req_${id}`,
        messageId: `msg_${id}`,
        backend: 'api',
        model: ctx.task.model,
        inputTokens: 10,
        outputTokens: 5,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        cacheReadTokens: 0,
        costUsd: '0.000105',
        status: 'ok',
      });
    switch (kind) {
      case 'ok':
        ctx.emit({ type: 'text', data: { text: 'hel' } });
        ctx.emit({ type: 'text', data: { text: 'lo' } });
        usage(`${ctx.task.id}-1`);
        usage(`${ctx.task.id}-1`); // the same response twice: counted once
        return { result: 'hello' };
      case 'flaky':
        usage(`${ctx.task.id}-${n}`);
        if (n === 1)
          throw Object.assign(new Error('overloaded'), {
            code: 'ModelOverloaded',
            retryable: true,
          });
        return { result: `ok after ${n}` };
      case 'overbudget':
        // The runner's own stop (the task's budget reached inside its run, as core reports it).
        usage(`${ctx.task.id}-${n}`);
        throw new TaskAbort('budget', 'budget of $0.0001 reached after $0.000105');
      case 'fatal':
        throw Object.assign(new Error('invalid x-api-key'), {
          code: 'AuthenticationFailure',
          retryable: false,
        });
      case 'stall': {
        // A worker paused past its heartbeat: the test starts the task again elsewhere, then
        // lets this attempt go on; its next event is refused and the run must stop.
        stallStarted.get(ctx.task.id)?.();
        await new Promise<void>((r) => stallResume.set(ctx.task.id, r));
        usage(`${ctx.task.id}-stalled`);
        ctx.emit({ type: 'text', data: { text: 'after the stall' } });
        const reason = await new Promise<unknown>((resolve) => {
          if (ctx.signal.aborted) resolve(ctx.signal.reason);
          ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason), { once: true });
        });
        stallAborted.set(ctx.task.id, reason);
        throw reason;
      }
      case 'hang':
        await new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        });
        return { result: 'unreachable' };
      default:
        throw new Error(`unknown script ${kind}`);
    }
  },
};

let tdb: TestDatabase;
let client: DbClient;
let boss: PgBoss;
let worker: RunningWorker;
let teamId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  client = createDb(tdb.url);
  const [team] = await client.db.insert(teams).values({ name: 'Exec', slug: 'exec' }).returning();
  teamId = team!.id;
  worker = await startWorker({
    databaseUrl: tdb.url,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent' }),
    runner: scripted,
    concurrency: 4,
    queue: { retryLimit: 2, retryDelaySeconds: 1 },
  });
  boss = await createBoss(tdb.url, { supervise: false });
});

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false });
  await client?.close();
  await tdb?.drop();
});

async function submit(prompt: string, extra: { timeoutMs?: number } = {}) {
  return submitTask(client.db, boss, { teamId, prompt, model: 'claude-sonnet-4-5', ...extra });
}

const waitFor = <T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  waitUntil(fn, timeoutMs, 'the condition');
const terminal = (id: string) => terminalTask(client.pool, id, 30_000);

describe('executor', () => {
  it('runs a task to success: events in order, usage recorded once', async () => {
    const task = await submit('ok');
    const done = await terminal(task.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: 'hello' });
    const { rows: events } = await client.pool.query(
      'select seq, type, data from task_events where task_id = $1 order by seq',
      [task.id],
    );
    expect(events.map((e) => e.type)).toEqual(['attempt_started', 'text', 'text', 'result']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const { rows: usage } = await client.pool.query(
      'select input_tokens, output_tokens, cost_usd::text from usage_events where task_id = $1',
      [task.id],
    );
    expect(usage).toEqual([{ input_tokens: 10, output_tokens: 5, cost_usd: '0.0001050000' }]);
  });

  it('retries a retryable failure and keeps both attempts in one event sequence', async () => {
    const task = await submit('flaky');
    const done = await terminal(task.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: 'ok after 2' });
    const { rows } = await client.pool.query(
      'select seq, attempt, type from task_events where task_id = $1 order by seq',
      [task.id],
    );
    expect(rows.map((r) => `${r.attempt}:${r.type}`)).toEqual([
      '1:attempt_started',
      '1:error',
      '2:attempt_started',
      '2:result',
    ]);
    const { rows: usage } = await client.pool.query(
      'select count(*)::int as n from usage_events where task_id = $1',
      [task.id],
    );
    expect(usage[0].n).toBe(2); // two real responses, one per attempt
  });

  it('fails fast on a non-retryable error and dead-letters the job', async () => {
    const task = await submit('fatal');
    const done = await terminal(task.id);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error?.type).toBe('AuthenticationFailure');
    const dead = await waitFor(async () => {
      const jobs = await boss.findJobs<{ taskId: string }>(JOBS.taskDeadLetter, {
        data: { taskId: task.id },
      } as never);
      return jobs.length ? jobs : undefined;
    });
    expect(dead[0]?.data.taskId).toBe(task.id);
  });

  it('ends a task whose own budget the run reached as budget_exceeded, once — not a failure to retry', async () => {
    const task = await submit('overbudget');
    const done = await terminal(task.id);
    expect(done).toMatchObject({ status: 'budget_exceeded', attempts: 1 });
    expect(done.error).toMatchObject({
      type: 'BudgetExceeded',
      message: 'budget of $0.0001 reached after $0.000105',
    });
    expect(attemptsSeen.get(task.id)).toBe(1);
  });

  it('cancels a running task within seconds', async () => {
    const task = await submit('hang');
    await waitFor(async () => {
      const { rows } = await client.pool.query(
        `select 1 from tasks where id = $1 and status = 'running'`,
        [task.id],
      );
      return rows[0];
    });
    const t0 = Date.now();
    expect(await requestCancel(client.pool, task.id, 'cancelled by test')).toBe('requested');
    const done = await terminal(task.id);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('cancels a queued task at once', async () => {
    await worker.stop();
    const task = await submit('ok');
    expect(await requestCancel(client.pool, task.id, 'never mind')).toBe('cancelled');
    expect((await terminal(task.id)).status).toBe('cancelled');
    expect(await requestCancel(client.pool, task.id, 'again')).toBe('already-finished');
    worker = await startWorker({
      databaseUrl: tdb.url,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      runner: scripted,
      concurrency: 4,
      queue: { retryLimit: 2, retryDelaySeconds: 1 },
    });
  });

  it('times a task out', async () => {
    const task = await submit('hang', { timeoutMs: 500 });
    const done = await terminal(task.id);
    expect(done.status).toBe('timed_out');
    expect(done.error?.type).toBe('SessionTimeout');
  });

  it('stops a stalled attempt whose task started again elsewhere; it overwrites nothing (fencing)', async () => {
    const { id } = await submitTask(client.db, boss, {
      teamId,
      prompt: 'stall',
      model: 'claude-sonnet-4-5',
    });
    const started = new Promise<void>((r) => stallStarted.set(id, r));
    await started;
    // The re-drive: attempt 2 starts (as another worker's start statement would).
    const again = await startTask(client.pool, id, 'elsewhere', 1);
    expect(again.outcome === 'started' && again.attempt).toBe(2);
    stallResume.get(id)!();
    const reason = await waitFor(async () => stallAborted.get(id), 10_000);
    expect(reason).toMatchObject({ reason: 'stale' });
    // Attempt 2 still holds the task: nothing of attempt 1 after the re-drive was written.
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await client.pool.query(
      'select status, attempts, status_reason from tasks where id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({ status: 'running', attempts: 2 });
    const { rows: events } = await client.pool.query(
      'select attempt, type from task_events where task_id = $1 order by seq',
      [id],
    );
    expect(events.map((e) => `${e.type}@${e.attempt}`)).toEqual([
      'attempt_started@1',
      'attempt_started@2',
    ]);
    // The usage the provider billed to the stalled attempt is kept, once.
    const { rows: usage } = await client.pool.query(
      'select count(*)::int as n from usage_events where task_id = $1',
      [id],
    );
    expect(usage[0].n).toBe(1);
    expect(await settleTask(client.pool, id, 'succeeded', { attempt: 2, result: 'by 2' })).toBe(
      true,
    );
  });

  it('exposes Prometheus metrics for what it ran', async () => {
    const task = await submit('ok');
    await terminal(task.id);
    const text = await (await fetch(`${worker.healthUrl}/metrics`)).text();
    expect(text).toMatch(/baton_tasks_finished_total\{status="succeeded"\} [1-9]/);
    expect(text).toMatch(/baton_tokens_total\{model="claude-sonnet-4-5",kind="input"\} [1-9]\d*/);
    expect(text).toMatch(/baton_queue_depth\{state="queued"\} \d+/);
    expect(text).toMatch(/baton_worker_process_resident_memory_bytes/);
  });
});
