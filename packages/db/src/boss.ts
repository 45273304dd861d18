/**
 * The task queue (pg-boss) without the ORM: what a worker needs. `@baton/db/queue`
 * adds transactional task submission through Drizzle.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { PgBoss } from 'pg-boss';
import { CHANNELS, JOBS, runTaskPayload } from './jobs';
import { TERMINAL_TASK_STATUSES } from './schema/enums';

export { PgBoss };

export interface QueuePolicy {
  /** Attempts after the first before a task's job is dead-lettered (default 2). */
  retryLimit: number;
  /** Seconds before the first retry; doubled each time, with jitter (default 5). */
  retryDelaySeconds: number;
  /** Longest a job may run without finishing (default 2 h). */
  expireInSeconds: number;
  /** A worker that stops heartbeating this long has its job retried elsewhere (min 10). */
  heartbeatSeconds: number;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = {
  retryLimit: 2,
  retryDelaySeconds: 5,
  expireInSeconds: 2 * 60 * 60,
  heartbeatSeconds: 15,
};

/**
 * A job queue started on first use (a process that may never submit — an MCP server answering
 * only reads — starts none): `get()` starts it once (a failed start is tried again on the next
 * call), `stop()` stops it if it was started.
 */
export function lazyBoss(url: string, options: Parameters<typeof createBoss>[1] = {}) {
  let boss: Promise<PgBoss> | undefined;
  return {
    get(): Promise<PgBoss> {
      boss ??= createBoss(url, options).catch((err: unknown) => {
        boss = undefined;
        throw err;
      });
      return boss;
    },
    /** Whether `get()` was called (and its start has not failed). */
    get started(): boolean {
      return boss !== undefined;
    },
    async stop(how: { graceful: boolean; close?: boolean }): Promise<void> {
      const b = await boss?.catch(() => null);
      await b?.stop(how);
    },
  };
}

/** pg-boss on Baton's database (its own `pgboss` schema), with Baton's queues created. */
export async function createBoss(
  url: string,
  options: {
    policy?: Partial<QueuePolicy>;
    applicationName?: string;
    max?: number;
    supervise?: boolean;
    /** How often expired and heartbeat-lapsed jobs are failed back to retry and the backlog is counted (default 10 s). */
    monitorIntervalSeconds?: number;
    /**
     * LISTEN for new jobs (default true). pg-boss wakes every idle fetch loop of the queue on
     * each NOTIFY; a worker with many slots may rather listen itself (`QUEUE_NOTIFY_CHANNEL`)
     * and wake one — see apps/worker's executor. Without it, loops poll.
     */
    listen?: boolean;
  } = {},
): Promise<PgBoss> {
  const policy = { ...DEFAULT_QUEUE_POLICY, ...options.policy };
  const boss = new PgBoss({
    connectionString: url,
    schema: 'pgboss',
    application_name: options.applicationName ?? 'baton-queue',
    max: options.max ?? 4,
    useListenNotify: options.listen ?? true,
    supervise: options.supervise ?? true,
    monitorIntervalSeconds: options.monitorIntervalSeconds ?? 10,
    superviseIntervalSeconds: options.monitorIntervalSeconds ?? 10,
    // Workers read the backlog from this cache to decide whether to fetch continuously.
    queueCacheIntervalSeconds: 2,
  });
  await boss.start();
  await boss.createQueue(JOBS.taskDeadLetter, {
    retentionSeconds: 30 * 24 * 3600,
    deleteAfterSeconds: 0,
  });
  await boss.createQueue(JOBS.runTask, {
    retryLimit: policy.retryLimit,
    retryDelay: policy.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: policy.expireInSeconds,
    heartbeatSeconds: policy.heartbeatSeconds,
    deadLetter: JOBS.taskDeadLetter,
    notify: true,
  });
  return boss;
}

/**
 * The channel pg-boss NOTIFYs on (payload: the queue name) when a job lands on a notify-enabled
 * queue in the `pgboss` schema — pg-boss's own formula, `'pgboss_' || left(encode(sha224(schema), 'hex'), 24)`.
 */
export const QUEUE_NOTIFY_CHANNEL = `pgboss_${createHash('sha224').update('pgboss').digest('hex').slice(0, 24)}`;

/**
 * Group tier naming for per-team quotas: a team whose quota is N runs its jobs
 * in tier `quota-N`, and workers allow N concurrent jobs per group in that
 * tier, so the quota holds across every worker on every machine.
 */
export const MAX_TEAM_QUOTA = 64;
export function quotaTier(maxConcurrent: number): string {
  return `quota-${Math.max(1, Math.min(MAX_TEAM_QUOTA, Math.floor(maxConcurrent)))}`;
}
export function quotaTiers(): Record<string, number> {
  return Object.fromEntries(
    Array.from({ length: MAX_TEAM_QUOTA }, (_, i) => [`quota-${i + 1}`, i + 1]),
  );
}

/** Asks for a task's cancellation: marks it, cancels a queued one at once, and wakes the worker running it. */
export async function requestCancel(
  pool: pg.Pool,
  taskId: string,
  reason: string,
): Promise<'cancelled' | 'requested' | 'already-finished' | 'not-found'> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ status: string }>(
      'select status from tasks where id = $1 for update',
      [taskId],
    );
    const status = rows[0]?.status;
    if (!status) {
      await client.query('rollback');
      return 'not-found';
    }
    if ((TERMINAL_TASK_STATUSES as readonly string[]).includes(status)) {
      await client.query('rollback');
      return 'already-finished';
    }
    if (status === 'queued') {
      await client.query(
        `update tasks set status = 'cancelled', status_reason = $2, cancel_requested_at = now(), finished_at = now(), updated_at = now() where id = $1`,
        [taskId, reason],
      );
    } else {
      await client.query(
        'update tasks set cancel_requested_at = coalesce(cancel_requested_at, now()), status_reason = $2, updated_at = now() where id = $1',
        [taskId, reason],
      );
    }
    await client.query('select pg_notify($1, $2)', [CHANNELS.taskCancel, taskId]);
    await client.query('select pg_notify($1, $2)', [CHANNELS.taskEvents, taskId]);
    await client.query('commit');
    return status === 'queued' ? 'cancelled' : 'requested';
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The job's place in the queue: the task's own priority first, then, within a priority, teams
 * take turns — a task is ranked by how many of its team's tasks were already waiting, divided by
 * the team's share weight (start-time fair queueing at submit), counted up to QUEUE_RANK_DEPTH.
 * A team that floods the queue cannot hold back another team's next task: it goes ahead of the
 * flood's remainder.
 */
/**
 * How deep a team's backlog is counted for its rank: beyond it, the rest of a flood shares the
 * last rank (another team's next task still goes ahead of it unless that team has as deep a
 * backlog), and the submit's count stays bounded.
 */
export const QUEUE_RANK_DEPTH = 1000;

export function queuePriority(taskPriority: number, waiting: number, weight = 1): number {
  return taskPriority * 1_000_000 - Math.min(999_999, Math.floor(waiting / Math.max(1, weight)));
}

/**
 * Re-drives a finished task (failed, cancelled, timed out — e.g. from the
 * dead-letter queue): back to queued with a new job, in one transaction, and
 * its dead-lettered jobs removed. A running or queued task is left alone.
 * `continue`: a succeeded task is queued again too (an agent given new input
 * continues its conversation), with `reason` as its status reason.
 */
export async function redriveTask(
  pool: pg.Pool,
  boss: PgBoss,
  taskId: string,
  options: { requestedBy?: string; teamQuota?: number; continue?: boolean; reason?: string } = {},
): Promise<
  { status: 'requeued'; jobId: string } | { status: 'not-found' | 'not-finished' | 'succeeded' }
> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{
      status: string;
      team_id: string;
      priority: number;
      waiting: number;
      weight: number;
    }>(
      `select t.status, t.team_id, t.priority,
              (select count(*)::int from tasks q where q.team_id = t.team_id and q.status = 'queued') as waiting,
              (select m.share_weight from teams m where m.id = t.team_id) as weight
         from tasks t where t.id = $1 for update of t`,
      [taskId],
    );
    const task = rows[0];
    if (!task) {
      await client.query('rollback');
      return { status: 'not-found' };
    }
    if (task.status === 'succeeded' && !options.continue) {
      await client.query('rollback');
      return { status: 'succeeded' };
    }
    if (!(TERMINAL_TASK_STATUSES as readonly string[]).includes(task.status)) {
      await client.query('rollback');
      return { status: 'not-finished' };
    }
    const payload = runTaskPayload.parse({
      taskId,
      teamId: task.team_id,
      requestedBy: options.requestedBy,
      redrive: true,
    });
    const db = {
      executeSql: (text: string, values?: unknown[]) => client.query(text, values as unknown[]),
    };
    const jobId = await boss.send(JOBS.runTask, payload, {
      db,
      priority: queuePriority(task.priority, task.waiting, task.weight),
      group: { id: task.team_id, tier: quotaTier(options.teamQuota ?? 4) },
    });
    if (!jobId) throw new Error(`the queue refused task ${taskId}`);
    await client.query(
      `update tasks set status = 'queued', status_reason = $2, error = null, finished_at = null,
              cancel_requested_at = null, job_id = $3, updated_at = now() where id = $1`,
      [
        taskId,
        options.reason ?? `re-driven${options.requestedBy ? ` by ${options.requestedBy}` : ''}`,
        jobId,
      ],
    );
    await client.query('select pg_notify($1, $2)', [CHANNELS.taskEvents, taskId]);
    await client.query('commit');
    const dead = await boss.findJobs<{ taskId: string }>(JOBS.taskDeadLetter, { data: { taskId } });
    if (dead.length)
      await boss.deleteJob(
        JOBS.taskDeadLetter,
        dead.map((j) => j.id),
      );
    return { status: 'requeued', jobId };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
