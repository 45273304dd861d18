/**
 * Coordinated runs in the worker: a task whose `options.coordinate` holds a plan (a root queued by
 * `@baton/api`'s `startCoordination`) is not sent to a model. Its run is core's coordinator for
 * the plan's strategy, driving a `TaskQueue` scoped to the task's team and tree: the agents it
 * spawns are ordinary tasks of that tree (run by this fleet, under the tree's limits and budget),
 * the run's result is the task's result, and the task's signal is the coordinator's (a cancel of
 * the root stops the coordinator; the cancel path stops the subtree).
 *
 * The worker does not implement the queue: the dependency rules keep it off `@baton/api`, where
 * the PostgreSQL `TaskQueue` lives, so the process that starts the worker gives it
 * `taskQueueFor` (WorkerOptions). A worker without one fails coordination tasks at once, saying
 * so, instead of running them as prompts.
 */
import {
  type CoordinationOutcome,
  isCoordinationError,
  parseCoordinationPlan,
  runCoordination,
  type TaskQueue,
} from '@baton/core';
import type { PgBoss } from '@baton/db/boss';
import type pg from 'pg';
import type { ClassifiedError, RunContext, RunResult, TaskRunner } from './runner';

/** Whose queue a coordination task drives: its team, its creator, its tree and itself. */
export interface CoordinationScope {
  teamId: string;
  /** The task's creator (their spend caps apply to the agents); null when none. */
  userId: string | null;
  /** The tree the task is the root of: the queue sees this tree only. */
  rootTaskId: string;
  /** The task itself: a spawn without a parent goes under it. */
  taskId: string;
}

/** What the worker lends a queue: its own database pool and job queue (no second connection pool). */
export interface WorkerResources {
  pool: pg.Pool;
  boss: PgBoss;
}

/** A queue for one coordination task's scope (`resources`: the worker's own pool and job queue). */
export type TaskQueueFor = (scope: CoordinationScope, resources: WorkerResources) => TaskQueue;

/** How long one wait of the coordinator lasts before it looks at the tree again. */
export const COORDINATION_WAIT_MS = 5_000;

function fail(code: string, message: string): ClassifiedError {
  // A coordinator that ran spawned agents: another attempt would spawn them again.
  return Object.assign(new Error(message), { code, retryable: false });
}

/** Whether a task is a coordinated run's root. */
export function isCoordinationTask(task: RunContext['task']): boolean {
  return (task.options as Record<string, unknown> | null)?.coordinate !== undefined;
}

function summary(outcome: CoordinationOutcome): Record<string, unknown> {
  return outcome.strategy === 'mesh'
    ? {
        strategy: 'mesh',
        status: outcome.status,
        rounds: outcome.rounds,
        stopReason: outcome.stopReason,
        posts: outcome.posts.length,
        agents: outcome.agents.map((a) => ({ id: a.agentId, role: a.role, status: a.status })),
      }
    : {
        strategy: 'hierarchical',
        status: outcome.status,
        synthesisId: outcome.synthesisId,
        agents: outcome.agents.map((a) => ({ id: a.agentId, role: a.role, status: a.status })),
      };
}

/** Runs one coordination task to its end (a result, or the error the executor settles it with). */
export async function runCoordinationTask(
  ctx: RunContext,
  taskQueueFor: ((scope: CoordinationScope) => TaskQueue) | undefined,
  o: { waitMs?: number } = {},
): Promise<RunResult> {
  const { task } = ctx;
  let plan: ReturnType<typeof parseCoordinationPlan>;
  try {
    plan = parseCoordinationPlan((task.options as Record<string, unknown>).coordinate);
  } catch (err) {
    throw fail('InvalidRequest', `options.coordinate: ${(err as Error).message}`);
  }
  if (!taskQueueFor)
    throw fail(
      'CoordinationUnavailable',
      'this worker was started without a task queue for coordinated runs (WorkerOptions.taskQueueFor)',
    );
  if (task.root_task_id && task.root_task_id !== task.id)
    throw fail(
      'InvalidRequest',
      'a coordinated run is the root of its own tree, not an agent of another',
    );
  const queue = taskQueueFor({
    teamId: task.team_id,
    userId: task.created_by,
    rootTaskId: task.id,
    taskId: task.id,
  });
  ctx.emit({
    type: 'coordination',
    data: { phase: 'started', strategy: plan.strategy, agents: plan.agents.map((a) => a.role) },
  });
  let outcome: CoordinationOutcome;
  try {
    outcome = await runCoordination(queue, task.id, plan, {
      signal: ctx.signal,
      waitMs: o.waitMs ?? COORDINATION_WAIT_MS,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (isCoordinationError(err)) throw fail(`Coordination${err.code}`, err.message);
    throw err;
  }
  ctx.emit({ type: 'coordination', data: { phase: 'finished', ...summary(outcome) } });
  // Cancelled, timed out, its budget spent: the executor settles the abort's status.
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const result = outcome.result ?? '';
  if (outcome.status === 'succeeded') return { result };
  throw fail(
    outcome.status === 'budget_exceeded' ? 'TreeBudgetExceeded' : 'CoordinationFailed',
    `the ${plan.strategy} run ended ${outcome.status.replace('_', ' ')}: ${outcome.reason ?? 'no reason given'}`,
  );
}

/** `runner`, with coordination tasks run by their coordinator instead. */
export function withCoordination(
  runner: TaskRunner,
  taskQueueFor: ((scope: CoordinationScope) => TaskQueue) | undefined,
  o: { waitMs?: number } = {},
): TaskRunner {
  return {
    run: (ctx) =>
      isCoordinationTask(ctx.task) ? runCoordinationTask(ctx, taskQueueFor, o) : runner.run(ctx),
    ...(runner.takeSession ? { takeSession: (id: string) => runner.takeSession!(id) } : {}),
    ...(runner.poolStats ? { poolStats: () => runner.poolStats!() } : {}),
    ...(runner.rateLimits ? { rateLimits: () => runner.rateLimits!() } : {}),
    ...(runner.close ? { close: () => runner.close!() } : {}),
  };
}
