import { type PgBoss, quotaTiers, redriveTask } from '@baton/db/boss';
import { JOBS, parsePayload } from '@baton/db/jobs';
import { insertUsage, type UsageRow } from '@baton/db/usage';
import type pg from 'pg';
import { type CancelWatcher, TaskAbort } from './cancel';
import type { EventWriter } from './events';
import { type SettleFields, settleTask, startTask, type TerminalStatus } from './lifecycle';
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
  /** Tries of a statement while the database is away before it gives up (default 30, ~1 min). */
  writeRetries?: number;
  /** Hooks for metrics. */
  onTaskFinished?: (status: string, durationMs: number) => void;
  onUsage?: (records: UsageRow[]) => void;
}

type JobOutcome = { id: string; status: 'completed' | 'failed' | 'deadletter'; output?: object };

export interface Executor {
  start(): Promise<void>;
  /** Stops taking jobs; running tasks get `drainMs` to finish, then are aborted and requeued. */
  stop(drainMs: number): Promise<void>;
  active(): number;
  /**
   * A job landed on the queue: wakes one of this worker's fetch loops — an idle one, else a busy
   * one (it fetches as soon as its task ends) — instead of every idle loop as pg-boss's own
   * LISTEN does, whose empty fetches (a thundering herd at every submit) cost more than the tasks.
   */
  wakeOne(): void;
  /** Wakes every fetch loop (notifications may have been missed). */
  wakeAll(): void;
  /**
   * The database refused a write of this attempt: the task was started again elsewhere (this
   * worker stalled past its heartbeat). Stops the attempt's run if it is still going here.
   */
  stale(taskId: string, attempt: number): void;
}

export function createExecutor(o: ExecutorOptions): Executor {
  const log = o.logger;
  let active = 0;
  let stopping = false;
  let idle: (() => void) | undefined;
  /** The attempt each running task is on here, and its run's controller. */
  const runs = new Map<string, { attempt: number; controller: AbortController }>();

  /** Retries a statement while the database restarts (it is idempotent). */
  async function persistently<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i >= (o.writeRetries ?? 30)) throw err;
        log.warn({ err: (err as Error).message, attempt: i + 1 }, `${what} failed; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
      }
    }
  }

  async function execute(job: {
    id: string;
    data: unknown;
    retryCount: number;
  }): Promise<JobOutcome> {
    const payload = parsePayload(JOBS.runTask, job.data);
    const { taskId } = payload;
    let start = await startTask(o.pool, taskId, job.id, job.retryCount);
    // Over the team's quota (another worker took the last slot a moment ago): hold the job
    // (its heartbeat keeps it ours) and start as soon as a slot frees.
    while (start.outcome === 'over-quota') {
      if (stopping) return { id: job.id, status: 'failed', output: { requeued: 'shutdown' } };
      await new Promise((r) => setTimeout(r, 250));
      start = await startTask(o.pool, taskId, job.id, job.retryCount);
    }
    if (start.outcome === 'missing') {
      log.warn({ taskId, jobId: job.id }, 'task not found; dropping its job');
      return { id: job.id, status: 'completed', output: { skipped: 'task not found' } };
    }
    if (start.outcome === 'cancelled') {
      return { id: job.id, status: 'completed', output: { status: 'cancelled' } };
    }
    if (start.outcome === 'budget-exceeded') {
      o.onTaskFinished?.('budget_exceeded', 0);
      return { id: job.id, status: 'completed', output: { status: 'budget_exceeded' } };
    }
    if (start.outcome === 'finished') {
      log.info(
        { taskId, teamId: payload.teamId, jobId: job.id, status: start.task.status },
        'task already finished; completing its job',
      );
      return {
        id: job.id,
        status: 'completed',
        output: { skipped: `task is ${start.task.status}` },
      };
    }
    const { task, attempt } = start;
    // Registered before anything else awaits: a spend cap reached from now on (NOTIFY) reaches
    // this task; the start statement itself refused it if one was reached before.
    const controller = new AbortController();
    o.cancels.register(taskId, controller, {
      teamId: task.team_id,
      userId: task.created_by,
      rootTaskId: task.root_task_id ?? null,
    });
    runs.set(taskId, { attempt, controller });
    const tlog = log.child({ taskId, teamId: task.team_id, jobId: job.id });
    const started = performance.now();
    // The start statement wrote `attempt_started` at lastSeq.
    try {
      await o.events.open(taskId, start.lastSeq);
    } catch (err) {
      o.cancels.unregister(taskId);
      runs.delete(taskId);
      throw err;
    }
    const emit = (type: string, data: Record<string, unknown> = {}) =>
      o.events.append(taskId, attempt, { type, data });
    tlog.debug({ attempt }, 'task running');

    const timeoutMs = task.timeout_ms ?? o.defaultTimeoutMs;
    const timer = setTimeout(
      () =>
        controller.abort(
          new TaskAbort('timeout', `timed out after ${Math.round(timeoutMs / 1000)} s`),
        ),
      timeoutMs,
    );
    const usage: UsageRow[] = [];
    let usageWrites: Promise<unknown> = Promise.resolve();
    let usageGaveUp = false;
    const flushUsage = () => {
      const batch = usage.splice(0);
      if (batch.length === 0) return usageWrites;
      usageWrites = usageWrites.then(async () => {
        try {
          await persistently('writing usage', () => insertUsage(o.pool, batch));
          o.onUsage?.(batch);
        } catch (err) {
          usageGaveUp = true;
          // Given up (the database stayed away): the batch goes back, and the settle statement
          // carries it with the task's state — never an unhandled rejection, nothing lost.
          usage.unshift(...batch);
          tlog.warn(
            { err: (err as Error).message, records: batch.length },
            'writing usage gave up; it is written with the task state',
          );
        }
      });
      return usageWrites;
    };

    /**
     * Ends the attempt in one statement: the usage not written yet, the remaining events, the
     * session and the new status (usage flushed during the run is durable before it).
     */
    const settle = async (
      status: TerminalStatus | 'queued' | null,
      fields: Omit<SettleFields, 'events' | 'session' | 'usage'>,
    ): Promise<boolean> => {
      clearTimeout(timer);
      o.cancels.unregister(taskId);
      if (runs.get(taskId)?.controller === controller) runs.delete(taskId);
      await usageWrites;
      const rest = usage.splice(0);
      const events = await o.events.take(taskId);
      o.events.close(taskId);
      const session = o.runner.takeSession?.(taskId);
      const made = await persistently('settling the task', () =>
        settleTask(o.pool, taskId, status, {
          ...fields,
          ...(events.length ? { events } : {}),
          ...(session ? { session } : {}),
          ...(rest.length ? { usage: rest } : {}),
          attempt,
        }),
      );
      if (rest.length) o.onUsage?.(rest);
      return made;
    };

    try {
      const { result } = await o.runner.run({
        task,
        attempt,
        savedSession: start.session ?? null,
        signal: controller.signal,
        emit: (e) => emit(e.type, e.data),
        recordUsage: (u) => {
          usage.push({ ...u, taskId, teamId: task.team_id, userId: task.created_by });
          // Under a spend cap every response is written as it comes (its trigger then tells every
          // worker when the cap is reached); otherwise in batches of 20.
          if (usage.length >= 20 || task.capped) void flushUsage();
        },
        flushUsage: async () => {
          await flushUsage();
          if (usageGaveUp) {
            usageGaveUp = false;
            throw Object.assign(
              new Error(
                'the usage of this attempt could not be written (the database stayed away): its next request was not sent',
              ),
              { code: 'ServiceUnavailable', retryable: true },
            );
          }
        },
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      emit('result', { text: result });
      const made = await settle('succeeded', { result });
      tlog.info({ attempt, made }, 'task succeeded');
      // An agent sent input while it ran (send_input) takes it in its next attempt: queued
      // again at once to go on with its conversation. Tree tasks only (one statement more).
      if (made && task.root_task_id) {
        try {
          const { rows } = await o.pool.query(
            'select 1 from task_inputs where task_id = $1 and consumed_at is null limit 1',
            [taskId],
          );
          if (rows.length > 0) {
            const again = await redriveTask(o.pool, o.boss, taskId, {
              continue: true,
              reason: 'continuing with the input sent while it ran',
            });
            tlog.info({ outcome: again.status }, 'agent continues with its pending input');
          }
        } catch (err) {
          tlog.warn(
            { err: (err as Error).message },
            'could not queue the agent again for its pending input (send_input queues it next time)',
          );
        }
      }
      o.onTaskFinished?.('succeeded', performance.now() - started);
      return { id: job.id, status: 'completed', output: { status: 'succeeded' } };
    } catch (raw) {
      // Why the attempt ended early: the signal's reason, or a TaskAbort the runner threw itself
      // (the task's own budget reached inside the run: its signal was never aborted).
      const abort = controller.signal.aborted
        ? (controller.signal.reason as TaskAbort)
        : raw instanceof TaskAbort
          ? raw
          : undefined;
      const err = (abort ?? raw) as ClassifiedError & Partial<TaskAbort>;
      const message = err?.message ?? String(raw);
      if (abort?.reason === 'stale') {
        // Another attempt holds the task: write only the usage (the provider billed it); the
        // statement refuses the rest. A completed job never retries (and pg-boss fences it too).
        await settle(null, {});
        tlog.warn({ attempt }, message);
        return { id: job.id, status: 'completed', output: { stale: attempt } };
      }
      if (abort?.reason === 'shutdown') {
        emit('requeued', { reason: 'worker shutting down' });
        await settle('queued', { reason: 'requeued: the worker running it shut down' });
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
              : 'budget_exceeded';
        emit(status === 'cancelled' ? 'cancelled' : 'error', { reason: abort.reason, message });
        await settle(status, {
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
      if (retryable && attemptsLeft > 0) {
        await settle('queued', {
          reason: `attempt ${attempt} failed (${type}): ${message}; retrying`,
        });
        tlog.warn({ type, message, attemptsLeft }, 'attempt failed; will retry');
        return { id: job.id, status: 'failed', output: { type, message } };
      }
      await settle('failed', {
        reason: retryable ? `failed after ${attempt} attempts: ${message}` : message,
        error: { type, message },
      });
      tlog.error({ type, message }, 'task failed');
      o.onTaskFinished?.('failed', performance.now() - started);
      return { id: job.id, status: 'deadletter', output: { type, message } };
    }
  }

  let workId: string | undefined;
  let wakes = 0;
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
    wakeOne() {
      if (!workId || stopping) return;
      const slots = o.boss.getWipData().filter((w) => w.workId === workId);
      if (slots.length === 0) return;
      const idle = slots.filter((w) => w.count === 0);
      const pick = idle.length > 0 ? idle : slots;
      const slot = pick[wakes++ % pick.length];
      if (slot) o.boss.notifyWorker(slot.id);
    },
    stale(taskId, staleAttempt) {
      const run = runs.get(taskId);
      if (run && run.attempt === staleAttempt && !run.controller.signal.aborted)
        run.controller.abort(
          new TaskAbort(
            'stale',
            `attempt ${staleAttempt} stopped: the task was started again elsewhere (this worker stalled past its heartbeat)`,
          ),
        );
    },
    wakeAll() {
      if (!workId || stopping) return;
      for (const w of o.boss.getWipData()) if (w.workId === workId) o.boss.notifyWorker(w.id);
    },
  };
}
