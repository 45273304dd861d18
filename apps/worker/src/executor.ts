import { type PgBoss, quotaTiers } from '@baton/db/boss';
import { JOBS, parsePayload } from '@baton/db/jobs';
import { insertUsage, type UsageRecord } from '@baton/db/usage';
import type pg from 'pg';
import { type CancelWatcher, TaskAbort } from './cancel';
import type { EventWriter } from './events';
import { beginAttempt, finish, loadTask, requeue } from './lifecycle';
import type { Logger } from './logger';
import type { ClassifiedError, TaskRunner } from './runner';

export interface ExecutorOptions {
  boss: PgBoss;
  pool: pg.Pool;
  events: EventWriter;
  cancels: CancelWatcher;
  runner: TaskRunner;
  logger: Logger;
  /** Tasks this worker runs at once. */
  concurrency: number;
  /** Retries after the first attempt (must match the queue's retryLimit). */
  retryLimit: number;
  /** Default per-task timeout when the task sets none. */
  defaultTimeoutMs: number;
  /** Hooks for metrics. */
  onTaskFinished?: (status: string, durationMs: number) => void;
  onUsage?: (records: UsageRecord[]) => void;
}

type JobOutcome = { id: string; status: 'completed' | 'failed' | 'deadletter'; output?: object };

export interface Executor {
  start(): Promise<void>;
  /** Stops taking jobs; running tasks get `drainMs` to finish, then are aborted and requeued. */
  stop(drainMs: number): Promise<void>;
  active(): number;
}

export function createExecutor(o: ExecutorOptions): Executor {
  const log = o.logger;
  let active = 0;
  let stopping = false;
  let idle: (() => void) | undefined;

  async function execute(job: {
    id: string;
    data: unknown;
    retryCount: number;
  }): Promise<JobOutcome> {
    const payload = parsePayload(JOBS.runTask, job.data);
    const { taskId } = payload;
    const tlog = log.child({ taskId, teamId: payload.teamId, jobId: job.id });
    const task = await loadTask(o.pool, taskId);
    if (!task) {
      tlog.warn('task not found; dropping its job');
      return { id: job.id, status: 'completed', output: { skipped: 'task not found' } };
    }
    if (task.cancel_requested_at) {
      await finish(o.pool, taskId, 'cancelled', { reason: 'cancelled before it started' });
      return { id: job.id, status: 'completed', output: { status: 'cancelled' } };
    }
    let attempt = await beginAttempt(o.pool, taskId, job.id, task.team_id);
    // Over the team's quota (another worker took the last slot a moment ago): hold the job
    // (its heartbeat keeps it ours) and start as soon as a slot frees.
    while (attempt === 'over-quota') {
      if (stopping) return { id: job.id, status: 'failed', output: { requeued: 'shutdown' } };
      await new Promise((r) => setTimeout(r, 250));
      const now = await loadTask(o.pool, taskId);
      if (now?.cancel_requested_at) {
        await finish(o.pool, taskId, 'cancelled', { reason: 'cancelled before it started' });
        return { id: job.id, status: 'completed', output: { status: 'cancelled' } };
      }
      attempt = await beginAttempt(o.pool, taskId, job.id, task.team_id);
    }
    if (attempt === undefined) {
      tlog.info({ status: task.status }, 'task already finished; completing its job');
      return { id: job.id, status: 'completed', output: { skipped: `task is ${task.status}` } };
    }
    const started = performance.now();
    await o.events.open(taskId);
    const emit = (type: string, data: Record<string, unknown> = {}) =>
      o.events.append(taskId, attempt, { type, data });
    emit('attempt_started', {
      attempt,
      jobRetry: job.retryCount,
      backend: task.backend,
      model: task.model,
    });
    tlog.info({ attempt }, 'task running');

    const controller = new AbortController();
    o.cancels.register(taskId, controller);
    const timeoutMs = task.timeout_ms ?? o.defaultTimeoutMs;
    const timer = setTimeout(
      () =>
        controller.abort(
          new TaskAbort('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s`),
        ),
      timeoutMs,
    );
    const usage: UsageRecord[] = [];
    let usageWrites: Promise<unknown> = Promise.resolve();
    const flushUsage = () => {
      const batch = usage.splice(0);
      if (batch.length === 0) return usageWrites;
      usageWrites = usageWrites.then(async () => {
        for (let i = 0; ; i++) {
          try {
            await insertUsage(o.pool, batch);
            o.onUsage?.(batch);
            return;
          } catch (err) {
            if (i >= 30) throw err;
            await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
          }
        }
      });
      return usageWrites;
    };

    const settle = async () => {
      clearTimeout(timer);
      o.cancels.unregister(taskId);
      await flushUsage();
      await o.events.flush();
      o.events.close(taskId);
    };

    try {
      const { result } = await o.runner.run({
        task,
        attempt,
        signal: controller.signal,
        emit: (e) => emit(e.type, e.data),
        recordUsage: (u) => {
          usage.push({ ...u, taskId, teamId: task.team_id, userId: task.created_by });
          if (usage.length >= 20) void flushUsage();
        },
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      emit('result', { text: result });
      await settle();
      const made = await finish(o.pool, taskId, 'succeeded', { result });
      tlog.info({ attempt, made }, 'task succeeded');
      o.onTaskFinished?.('succeeded', performance.now() - started);
      return { id: job.id, status: 'completed', output: { status: 'succeeded' } };
    } catch (raw) {
      const abort = controller.signal.aborted ? (controller.signal.reason as TaskAbort) : undefined;
      const err = (abort ?? raw) as ClassifiedError & Partial<TaskAbort>;
      const message = err?.message ?? String(raw);
      if (abort?.reason === 'shutdown') {
        emit('requeued', { reason: 'worker shutting down' });
        await settle();
        await requeue(o.pool, taskId, 'requeued: the worker running it shut down');
        tlog.warn('requeued on shutdown');
        return { id: job.id, status: 'failed', output: { requeued: 'shutdown' } };
      }
      if (
        abort?.reason === 'cancelled' ||
        abort?.reason === 'timeout' ||
        abort?.reason === 'budget'
      ) {
        const status =
          abort.reason === 'cancelled'
            ? 'cancelled'
            : abort.reason === 'timeout'
              ? 'timed_out'
              : 'failed';
        emit(status === 'cancelled' ? 'cancelled' : 'error', { reason: abort.reason, message });
        await settle();
        await finish(o.pool, taskId, status, {
          reason: message,
          error:
            status === 'cancelled'
              ? null
              : { type: abort.reason === 'timeout' ? 'SessionTimeout' : 'BudgetExceeded', message },
        });
        tlog.info({ status }, `task ${status}`);
        o.onTaskFinished?.(status, performance.now() - started);
        return { id: job.id, status: 'completed', output: { status } };
      }
      const retryable = err.retryable !== false;
      const type = err.code ?? err.name ?? 'Unknown';
      const attemptsLeft = o.retryLimit - job.retryCount;
      emit('error', { type, message, retryable, attemptsLeft: retryable ? attemptsLeft : 0 });
      await settle();
      if (retryable && attemptsLeft > 0) {
        await requeue(o.pool, taskId, `attempt ${attempt} failed (${type}): ${message}; retrying`);
        tlog.warn({ type, message, attemptsLeft }, 'attempt failed; will retry');
        return { id: job.id, status: 'failed', output: { type, message } };
      }
      await finish(o.pool, taskId, 'failed', {
        reason: retryable ? `failed after ${attempt} attempts: ${message}` : message,
        error: { type, message },
      });
      tlog.error({ type, message }, 'task failed');
      o.onTaskFinished?.('failed', performance.now() - started);
      return { id: job.id, status: 'deadletter', output: { type, message } };
    }
  }

  let workId: string | undefined;
  return {
    async start() {
      workId = await o.boss.work(
        JOBS.runTask,
        {
          batchSize: 1,
          localConcurrency: o.concurrency,
          groupConcurrency: { default: 4, tiers: quotaTiers() },
          pollingIntervalSeconds: 2,
          // NOTIFY wakes workers for new jobs; retries and recovered jobs are found by this poll.
          notifyPollingIntervalSeconds: 2,
          // Under a backlog, fetch again as soon as a task ends instead of waiting out the poll.
          burstWhenReadyExceeds: 1,
          perJobResults: true,
          includeMetadata: false,
        },
        async (jobs) => {
          active++;
          try {
            return await Promise.all(jobs.map((j) => execute(j)));
          } finally {
            active--;
            if (active === 0) idle?.();
          }
        },
      );
    },
    async stop(drainMs) {
      stopping = true;
      if (workId) await o.boss.offWork(JOBS.runTask, { id: workId, wait: false });
      if (active > 0) {
        const drained = new Promise<void>((r) => {
          idle = r;
        });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          drained.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), drainMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          log.warn({ active }, 'drain deadline reached; requeueing running tasks');
          o.cancels.abortAll(new TaskAbort('shutdown', 'worker shutting down'));
          await drained;
        }
      }
    },
    active: () => active,
  };
}
