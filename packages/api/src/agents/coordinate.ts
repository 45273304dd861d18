/**
 * Starts a whole coordinated run from one call (the `coordinate_agents` MCP tool, the agent
 * router's `coordinate`): a root task whose `options.coordinate` holds the plan, and its tree
 * (strategy, goal, limits, budget, rounds), in one transaction — the worker that picks the root
 * never sees it without its tree. The worker runs the root as the plan's coordinator (core's
 * `runCoordination`), spawning the agents into that tree under its limits and budget.
 */
import { randomUUID } from 'node:crypto';
import {
  agentsNeeded,
  CoordinationError,
  type CoordinationPlan,
  type CoordinationStrategy,
  parseCoordinationPlan,
  resolveTreeLimits,
  type TreeLimits,
} from '@baton/core';
import type { Database } from '@baton/db/client';
import { submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { eq, sql } from 'drizzle-orm';
import type { ApiConfig } from '../config';
import { AppError, isAppError } from '../errors';
import { prepareTaskSubmission } from '../submission';
import type { AgentScope, PgTaskQueueDeps } from './pg-task-queue';

/** The role the root of a coordinated run has in its tree. */
export const COORDINATOR_ROLE = 'coordinator';

export interface StartCoordinationInput {
  goal: string;
  strategy: CoordinationStrategy;
  agents: Array<{ role: string; instructions: string }>;
  /** The whole tree's budget in USD. */
  budgetUsd: number;
  /** Mesh runs: at most this many rounds (default core's DEFAULT_MESH_MAX_ROUNDS). */
  maxRounds?: number;
  /** The agents' model (default: the instance's default for the API backend). */
  model?: string;
}

export interface StartCoordinationOptions {
  /** A new tree's limits under the run's own (the configuration's multi_agent section). */
  limits?: Partial<TreeLimits>;
  /** The instance's configuration: default models; `multi_agent.enabled` false refuses. */
  config?: ApiConfig;
  signal?: AbortSignal;
}

export interface StartedCoordination {
  root_id: string;
  status: 'queued';
  strategy: CoordinationStrategy;
  limits: TreeLimits;
  max_rounds: number | null;
}

function invalid(field: string, message: string) {
  return new CoordinationError('INVALID', message, { field });
}

/**
 * Queues the root of a coordinated run and creates its tree. Refuses (a `CoordinationError`,
 * `INVALID` naming the field) a malformed plan, an instance whose multi_agent.enabled is false
 * (`AppError` FORBIDDEN, as the router's spawn), a budget that is no positive amount, a plan that
 * needs more agents than the tree may hold, and a team whose caps stop new tasks.
 */
export async function startCoordination(
  deps: PgTaskQueueDeps,
  scope: AgentScope,
  input: StartCoordinationInput,
  options: StartCoordinationOptions = {},
): Promise<StartedCoordination> {
  options.signal?.throwIfAborted();
  if (options.config && !options.config.multi_agent.enabled)
    throw new AppError(
      'FORBIDDEN',
      'Multi-agent runs are turned off on this instance (multi_agent.enabled in its configuration).',
    );
  if (scope.rootTaskId)
    throw invalid(
      'rootId',
      'A task-scoped caller works inside its own tree: spawn agents there instead of starting a run.',
    );
  const plan: CoordinationPlan = parseCoordinationPlan({
    strategy: input?.strategy,
    goal: input?.goal,
    agents: input?.agents,
    maxRounds: input?.maxRounds,
  });
  if (
    typeof input.budgetUsd !== 'number' ||
    !Number.isFinite(input.budgetUsd) ||
    input.budgetUsd < 0.000001
  )
    throw invalid(
      'budgetUsd',
      'budgetUsd is a positive amount of USD, at least $0.000001: a run always has a budget.',
    );
  const limits = resolveTreeLimits(options.limits, { budgetUsd: input.budgetUsd });
  const needed = agentsNeeded(plan);
  if (needed > limits.maxAgents)
    throw invalid(
      'agents',
      `A ${plan.strategy} run of ${plan.agents.length} agents needs ${needed} places in its tree (the root${plan.strategy === 'hierarchical' ? ' and the synthesiser' : ''} included); a tree holds at most ${limits.maxAgents}.`,
    );
  if (limits.maxDepth < 1)
    throw invalid('agents', 'The tree limits allow no agents below the root (maxDepth 0).');

  const { db } = deps;
  const [team] = await db.select().from(teams).where(eq(teams.id, scope.teamId));
  if (!team) throw new CoordinationError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
  let prepared: Awaited<ReturnType<typeof prepareTaskSubmission>>;
  try {
    prepared = await prepareTaskSubmission(
      db,
      team,
      {
        prompt: plan.goal,
        title: `${plan.strategy} run: ${plan.goal.slice(0, 80)}`,
        backend: 'api',
        ...(input.model !== undefined ? { model: input.model } : {}),
      },
      {
        createdBy: scope.userId,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.config ? { config: options.config } : {}),
      },
    );
  } catch (err) {
    if (isAppError(err) && err.code === 'BAD_REQUEST')
      throw new CoordinationError('INVALID', err.message, { ...err.meta });
    throw err;
  }
  (prepared.options as Record<string, unknown>).coordinate = plan;
  const boss = await deps.boss();
  options.signal?.throwIfAborted();
  const id = randomUUID();
  await db.transaction(async (tx) => {
    // submitTask nests its own transaction (a savepoint): the task, its job and its tree commit
    // together, so the worker never starts a root without its tree.
    await submitTask(
      tx as unknown as Database,
      boss,
      { ...prepared, id, rootTaskId: id, depth: 0, role: COORDINATOR_ROLE },
      scope.userId ? { requestedBy: scope.userId } : {},
    );
    await tx.execute(
      sql`insert into task_trees (root_task_id, team_id, strategy, goal, max_agents, max_depth,
                                  max_concurrent, budget_usd, budget_tokens, max_rounds)
          values (${id}, ${scope.teamId}, ${plan.strategy}, ${plan.goal}, ${limits.maxAgents},
                  ${limits.maxDepth}, ${limits.maxConcurrent},
                  ${limits.budgetUsd === null ? null : limits.budgetUsd.toFixed(6)}::numeric,
                  ${limits.budgetTokens}::bigint, ${plan.maxRounds ?? null}::int)`,
    );
  });
  return {
    root_id: id,
    status: 'queued',
    strategy: plan.strategy,
    limits,
    max_rounds: plan.maxRounds ?? null,
  };
}
