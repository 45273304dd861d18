import os from 'node:os';
import {
  createBoss,
  DEFAULT_QUEUE_POLICY,
  type PgBoss,
  QUEUE_NOTIFY_CHANNEL,
  type QueuePolicy,
} from '@baton/db/boss';
import { JOBS } from '@baton/db/jobs';
import { runMigrations } from '@baton/db/migrate';
import { createPool, pingDb } from '@baton/db/pool';
import { rollupUsage } from '@baton/db/rollup';
import { reachedCap } from '@baton/db/spend';
import type pg from 'pg';
import { CancelWatcher, TaskAbort } from './cancel';
import { type CoordinationScope, type TaskQueueFor, withCoordination } from './coordination';
import { EventWriter } from './events';
import { createExecutor, type Executor } from './executor';
import { FleetView } from './fleet';
import { startHealthServer } from './health';
import { BreakerTracker, startHeartbeat } from './heartbeat';
import type { Logger } from './logger';
import { createMetrics } from './metrics';
import { providerCheck } from './provider-check';
import type { TaskRunner } from './runner';
import { createTaskSandbox, type TaskSandbox, type TaskSandboxOptions } from './task-sandbox';
import { sweepWorkspaces } from './workspace-store';

export interface WorkerOptions {
  databaseUrl: string;
  port: number;
  host: string;
  workerId?: string;
  logger: Logger;
  /** Apply pending migrations before taking work (default true). */
  migrate?: boolean;
  /**
   * Runs the tasks: 'core' (the default) runs them through @baton/core against
   * `provider`; a TaskRunner of your own otherwise; null serves health only.
   */
  runner?: TaskRunner | 'core' | null;
  /** The Anthropic API (or the simulator) for the core runner. */
  provider?: { baseURL?: string; apiKey?: string };
  /** BATON_SECRET: decrypts teams' own provider keys. */
  secret?: string;
  /** Baton's configuration file (BATON_CONFIG), read by the core runner through @baton/core. */
  configFile?: string;
  /** Baton's MCP server (BATON_MCP_URL) for claude-code tasks with `options.mcp`. */
  mcpUrl?: string;
  /** Tasks run at once by this worker (default 8). */
  concurrency?: number;
  /** Default task timeout (default 30 min). */
  defaultTimeoutMs?: number;
  /** Tries of a task's writes while the database is away before they give up (default 30). */
  writeRetries?: number;
  /** Queue retry/heartbeat policy. */
  queue?: Partial<QueuePolicy> & { monitorIntervalSeconds?: number };
  /** How long SIGTERM waits for running tasks before requeueing them (default 30 s). */
  drainMs?: number;
  /**
   * Confinement of claude-code tasks (BATON_SANDBOX, BATON_WORKSPACES_DIR, BATON_REPOS_DIRS);
   * without it claude-code tasks are refused.
   */
  sandbox?: TaskSandboxOptions;
  /**
   * The TaskQueue a coordinated run (a root task with `options.coordinate`) drives, for its team
   * and tree (see coordination.ts). Given by whoever starts the worker: the queue's PostgreSQL
   * implementation lives in @baton/api, which the worker may not import. Without it coordinated
   * runs fail at once, saying so.
   */
  taskQueueFor?: TaskQueueFor;
  /** How long one wait of a coordinator lasts before it looks at its tree again (default 5 s). */
  coordinationWaitMs?: number;
}

export interface RunningWorker {
  id: string;
  healthUrl: string;
  /** Stops taking work, drains, closes the database pool and the health server. */
  stop(reason?: string): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const id = options.workerId ?? `${os.hostname()}-${process.pid}`;
  const log = options.logger.child({ workerId: id });
  if (options.migrate !== false) {
    const { applied } = await runMigrations(options.databaseUrl);
    if (applied.length) log.info({ applied }, 'applied migrations');
  }
  const pool = createPool(options.databaseUrl, {
    max: 10,
    applicationName: `baton-worker:${id}`,
    onError: (err) => log.warn({ err: err.message }, 'idle database connection failed'),
  });
  const startedAt = new Date();
  const dbCheck = async () => {
    const latencyMs = await pingDb(pool);
    return { ok: true, latencyMs: Math.round(latencyMs * 100) / 100 };
  };
  const metrics = createMetrics();
  // The live workers (worker_heartbeats): which one wakes for a submitted task, whose turn a rollup is.
  const fleet = new FleetView(pool, id, {
    intervalMs: 2000,
    onError: (err) =>
      log.warn({ err: (err as Error).message }, 'reading the live workers failed; retrying'),
  });
  let boss: PgBoss | undefined;
  let executor: Executor | undefined;
  let cancels: CancelWatcher | undefined;
  /**
   * Stops running tasks whose spend cap or agent tree's budget is reached (after notifications may
   * have been missed).
   */
  const recheckCaps = async () => {
    const owned = cancels?.ownedBy(() => true) ?? [];
    const roots = [...new Set(owned.flatMap(([, o]) => (o.rootTaskId ? [o.rootTaskId] : [])))];
    if (roots.length) {
      const spent = await pool
        .query<{ root_task_id: string; stop_reason: string | null }>(
          `select root_task_id, stop_reason from task_trees
            where root_task_id = any($1::uuid[]) and status = 'budget_exceeded'`,
          [roots],
        )
        .then(
          (r) => new Map(r.rows.map((x) => [x.root_task_id, x.stop_reason])),
          () => new Map<string, string | null>(),
        );
      for (const [taskId, o] of owned)
        if (o.rootTaskId && spent.has(o.rootTaskId))
          cancels?.abort(
            taskId,
            new TaskAbort(
              'budget',
              `stopped: ${spent.get(o.rootTaskId) ?? "the agent tree's budget is spent"}`,
            ),
          );
    }
    const seen = new Map<string, Promise<Awaited<ReturnType<typeof reachedCap>>>>();
    for (const [taskId, o] of owned) {
      const key = `${o.teamId}\u0000${o.userId ?? ''}`;
      if (!seen.has(key))
        seen.set(
          key,
          reachedCap(pool, o.teamId, o.userId).catch(() => undefined),
        );
      const cap = await seen.get(key);
      if (cap) cancels?.abort(taskId, new TaskAbort('budget', `stopped: ${cap.message}`));
    }
  };
  const events = new EventWriter(pool, {
    onError: (err) => log.warn({ err: err.message }, 'writing task events failed; retrying'),
    // Fencing: an attempt whose events were refused was started again elsewhere; stop it here.
    onStale: (taskId, attempt) => executor?.stale(taskId, attempt),
  });
  let runner: TaskRunner | undefined;
  const taskSandbox: TaskSandbox | undefined = options.sandbox
    ? createTaskSandbox(options.sandbox)
    : undefined;
  if (taskSandbox) {
    const st = await taskSandbox.status();
    if (st.mode === 'off') log.warn(st.reason);
    else if (!st.ok)
      log.error(
        { reason: st.reason },
        'no sandbox can start here: claude-code tasks will be refused',
      );
    else
      log.info(
        { resources: st.resources, version: st.version },
        'claude-code tasks run in the sandbox',
      );
  }
  if (options.runner === 'core' || options.runner === undefined) {
    const { createCoreRunner } = await import('./core-runner');
    runner = await createCoreRunner({
      pool: pool,
      logger: log,
      ...(options.provider?.baseURL ? { baseURL: options.provider.baseURL } : {}),
      ...(options.provider?.apiKey ? { apiKey: options.provider.apiKey } : {}),
      maxSessions: options.concurrency ?? 8,
      workerId: id,
      ...(options.secret ? { secret: options.secret } : {}),
      ...(options.configFile ? { configFile: options.configFile } : {}),
      ...(taskSandbox ? { taskSandbox } : {}),
      ...(options.mcpUrl ? { mcpUrl: options.mcpUrl } : {}),
      ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    });
  } else if (options.runner) runner = options.runner;
  // Breaker states and runs in flight, seen through the runner (for the heartbeat and /metrics).
  const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2, isolated: 2 } as const;
  const tracker = new BreakerTracker((b) =>
    metrics.breakerState.set({ breaker: `${b.provider}/${b.model}` }, BREAKER_GAUGE[b.state]),
  );
  // A coordination task's queue, on this worker's own pool and job queue (started below, before
  // any task runs).
  const coordinationQueues = () => {
    const make = options.taskQueueFor;
    if (!make) return undefined;
    return (scope: CoordinationScope) => {
      if (!boss) throw new Error('the worker takes no tasks: it has no job queue');
      return make(scope, { pool, boss });
    };
  };
  if (runner)
    runner = withCoordination(runner, coordinationQueues(), {
      ...(options.coordinationWaitMs ? { waitMs: options.coordinationWaitMs } : {}),
    });
  if (runner) runner = tracker.observeRunner(runner);
  if (runner) {
    const policy = { ...DEFAULT_QUEUE_POLICY, ...options.queue };
    boss = await createBoss(options.databaseUrl, {
      policy,
      applicationName: `baton-queue:${id}`,
      // This worker listens for new jobs itself and wakes one fetch loop per job (executor.wakeOne).
      listen: false,
      ...(options.queue?.monitorIntervalSeconds
        ? { monitorIntervalSeconds: options.queue.monitorIntervalSeconds }
        : {}),
    });
    boss.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
    let coveredPid: number | undefined;
    cancels = new CancelWatcher(options.databaseUrl, pool, {
      onError: (err) => log.warn({ err: err.message }, 'cancel listener error'),
      channels: {
        // A submitted task (migration 0013's trigger, in the submitting transaction): only the
        // worker owning its id wakes a fetch loop, not one in every worker of the fleet.
        [TASK_QUEUED_CHANNEL]: (taskId, pid) => {
          coveredPid = pid;
          if (fleet.owns(taskId)) executor?.wakeOne();
        },
        // A spend cap was reached (the usage insert's trigger): stop the tasks it covers.
        [SPEND_CAP_CHANNEL]: (payload) => {
          let cap: {
            scope?: string;
            team?: string;
            user?: string | null;
            root?: string;
            message?: string;
          };
          try {
            cap = JSON.parse(payload);
          } catch {
            return;
          }
          // scope 'tree': an agent tree's budget is spent — the agents of that tree stop.
          const hits = cancels?.ownedBy((o) =>
            cap.scope === 'tree'
              ? cap.root !== undefined && o.rootTaskId === cap.root
              : cap.scope === 'instance' ||
                (o.teamId === cap.team &&
                  (cap.scope === 'team' || (o.userId ?? '') === (cap.user ?? ''))),
          );
          for (const [taskId] of hits ?? [])
            cancels?.abort(
              taskId,
              new TaskAbort('budget', `stopped: ${cap.message ?? 'a spend cap is reached'}`),
            );
        },
        // pg-boss's NOTIFY for a new job: the one right after a task's own (same transaction,
        // same backend) is already handled; any other job (a re-drive) wakes this worker.
        [QUEUE_NOTIFY_CHANNEL]: (queue, pid) => {
          if (queue !== JOBS.runTask) return;
          if (pid === coveredPid) {
            coveredPid = undefined;
            return;
          }
          executor?.wakeOne();
        },
      },
      onListen: () => {
        executor?.wakeAll();
        // A cap reached while the listener was down: check the capped tasks running here.
        void recheckCaps();
      },
    });
    await cancels.start();
    executor = createExecutor({
      boss,
      pool: pool,
      events,
      cancels,
      runner,
      logger: log,
      concurrency: options.concurrency ?? 8,
      retryLimit: policy.retryLimit,
      defaultTimeoutMs: options.defaultTimeoutMs ?? 30 * 60_000,
      ...(options.writeRetries !== undefined ? { writeRetries: options.writeRetries } : {}),
      onTaskFinished: (status, ms) => metrics.taskFinished(status, ms),
      onUsage: (records) => metrics.usage(records),
    });
    await executor.start();
  }
  // Analytics rollups follow usage within about a second: the live workers take turns, one
  // wall-clock second each (FleetView.rollupDelayMs), rolling up batches of new usage rows
  // (exactly once, SKIP LOCKED shares the work if turns overlap), batch after batch while
  // they come back full. A pass has a fixed cost, so one per second per fleet, not per worker.
  const rollups = startFleetRollups(pool, fleet, (err) =>
    log.warn({ err: (err as Error).message }, 'rolling up usage failed; retrying'),
  );
  // Workspaces of finished tasks leave this disk after the operator's retention (hourly).
  const retention = taskSandbox
    ? startRetention(() =>
        sweepWorkspaces(pool, taskSandbox.workspaces, { workerId: id }).then(
          (removed) => {
            if (removed.length)
              log.info({ removed: removed.length }, 'removed expired task workspaces');
          },
          (err: unknown) =>
            log.warn({ err: (err as Error).message }, 'removing expired workspaces failed'),
        ),
      )
    : undefined;
  // Health snapshot for the console's Live page (worker_heartbeats), every 5 s.
  const heartbeat = startHeartbeat({
    pool,
    workerId: id,
    startedAt,
    concurrency: runner ? (options.concurrency ?? 8) : 0,
    breakers: () => tracker.breakers(),
    running: () => executor?.active() ?? 0,
    poolStats: () => runner?.poolStats?.(),
    sandbox: taskSandbox ? () => taskSandbox.status() : undefined,
    onError: (err) =>
      log.warn({ err: (err as Error).message }, 'writing the heartbeat failed; retrying'),
  });
  fleet.start();
  const queueCheck = async () => {
    if (!boss) return { ok: true, note: 'no runner: not taking jobs' };
    const q = await boss.getQueue('baton-task-run');
    return { ok: q !== null, active: executor?.active() ?? 0 };
  };
  const health = await startHealthServer({
    port: options.port,
    host: options.host,
    liveness: { database: dbCheck },
    readiness: {
      database: dbCheck,
      queue: queueCheck,
      // The provider the core runner calls (a runner of the caller's own brings its own checks).
      ...(options.runner === 'core' || options.runner === undefined
        ? { provider: providerCheck(options.provider ?? {}) }
        : {}),
      // claude-code tasks: refused when BATON_SANDBOX=required and no sandbox can start.
      ...(taskSandbox
        ? {
            sandbox: async () => {
              const st = await taskSandbox.status();
              return st.mode === 'off'
                ? { ok: true, mode: 'off', warning: st.reason }
                : {
                    ok: st.ok,
                    mode: st.mode,
                    ...(st.ok ? { resources: st.resources } : { error: st.reason }),
                  };
            },
          }
        : {}),
    },
    info: () => ({
      workerId: id,
      startedAt: startedAt.toISOString(),
      uptimeS: Math.round(process.uptime()),
    }),
    extraRoutes: {
      '/metrics': async (_req, res) => {
        metrics.running.set(executor?.active() ?? 0);
        const limits = await runner?.rateLimits?.().catch(() => undefined);
        if (limits) {
          metrics.rateLimitRemaining.reset();
          for (const l of limits) {
            metrics.rateLimitRemaining.set({ scope: l.scope, dimension: l.dimension }, l.remaining);
          }
        }
        const use = runner?.poolStats?.();
        if (use) {
          for (const state of ['active', 'idle', 'waiting'] as const) {
            metrics.poolSessions.set({ state }, use[state]);
          }
        }
        if (boss) {
          const q = await boss.getQueue('baton-task-run').catch(() => null);
          if (q) {
            metrics.queueDepth.set({ state: 'queued' }, q.queuedCount ?? 0);
            metrics.queueDepth.set({ state: 'active' }, q.activeCount ?? 0);
            metrics.queueDepth.set({ state: 'deferred' }, q.deferredCount ?? 0);
          }
        }
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      },
    },
  });
  log.info({ url: health.url }, 'worker ready');

  let stopping: Promise<void> | undefined;
  return {
    id,
    healthUrl: health.url,
    stop: (reason = 'stop requested') => {
      stopping ??= (async () => {
        log.info({ reason }, 'worker stopping');
        await executor?.stop(options.drainMs ?? 30_000);
        await events.flush().catch(() => undefined);
        await cancels?.stop();
        await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
        await runner?.close?.();
        await rollups.stop();
        retention?.stop();
        fleet.stop();
        await heartbeat.stop();
        await health.close();
        await pool.end();
        log.info('worker stopped');
      })();
      return stopping;
    },
  };
}

/** Runs `sweep` now and every hour until stopped. */
function startRetention(sweep: () => Promise<void>, everyMs = 3_600_000): { stop(): void } {
  void sweep();
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** NOTIFYed by the usage insert when a spend cap is reached (packages/db/sql/spend.sql). */
const SPEND_CAP_CHANNEL = 'baton_spend_cap';

/** NOTIFYed (payload: the task id) when a queued task is inserted (migration 0013). */
const TASK_QUEUED_CHANNEL = 'baton_task_queued';

/** Rolls up usage on this worker's turns (see FleetView.rollupDelayMs); stop() awaits the pass in flight. */
function startFleetRollups(
  pool: pg.Pool,
  fleet: FleetView,
  onError: (err: unknown) => void,
): { stop(): Promise<void> } {
  const maxRows = 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      let full = false;
      try {
        full = (await rollupUsage(pool, { maxRows })) >= maxRows;
      } catch (err) {
        onError(err);
      }
      if (full || stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, fleet.rollupDelayMs());
        timer.unref();
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}
