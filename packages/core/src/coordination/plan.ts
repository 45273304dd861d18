/**
 * A whole coordinated run as one value: what a root task's `options.coordinate` holds (written by
 * `@baton/api`'s `startCoordination`, read by the worker) and `runCoordination`, which runs it with
 * the right coordinator. One parser serves both sides, so they cannot disagree on the shape.
 */
import {
  type CoordinatorOptions,
  type HierarchicalResult,
  runHierarchical,
} from './hierarchical.js';
import { CoordinationError } from './limits.js';
import { type MeshResult, runMesh } from './mesh.js';
import type { CoordinationStrategy, TaskQueue } from './task-queue.js';

/** A mesh run's rounds when none are given. */
export const DEFAULT_MESH_MAX_ROUNDS = 3;
/** The most rounds a mesh run may take (the board's own ceiling). */
export const MESH_MAX_ROUNDS_CEILING = 1000;
/** The most agents one run names (a tree's ceiling is higher; this keeps a prompt readable). */
export const PLAN_MAX_AGENTS = 32;
export const PLAN_GOAL_MAX = 20_000;
export const PLAN_ROLE_MAX = 100;
export const PLAN_INSTRUCTIONS_MAX = 50_000;

export interface CoordinationPlan {
  strategy: CoordinationStrategy;
  goal: string;
  agents: Array<{ role: string; instructions: string }>;
  /** Mesh runs only: at most this many rounds. */
  maxRounds?: number;
}

const invalid = (field: string, message: string) =>
  new CoordinationError('INVALID', message, { field });

/** Validates a plan (from a request or a task's options); INVALID names the bad field. */
export function parseCoordinationPlan(raw: unknown): CoordinationPlan {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(
      'coordinate',
      'A coordination is an object {strategy, goal, agents, maxRounds?}.',
    );
  const r = raw as Record<string, unknown>;
  if (r.strategy !== 'hierarchical' && r.strategy !== 'mesh')
    throw invalid('strategy', 'strategy is one of hierarchical, mesh.');
  if (typeof r.goal !== 'string' || r.goal.trim() === '' || r.goal.length > PLAN_GOAL_MAX)
    throw invalid(
      'goal',
      `goal is a text of 1 to ${PLAN_GOAL_MAX.toLocaleString('en-US')} characters.`,
    );
  if (!Array.isArray(r.agents) || r.agents.length === 0 || r.agents.length > PLAN_MAX_AGENTS)
    throw invalid('agents', `agents is a list of 1 to ${PLAN_MAX_AGENTS} {role, instructions}.`);
  const agents = r.agents.map((a: unknown, i) => {
    const x = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    if (typeof x.role !== 'string' || x.role.trim() === '' || x.role.trim().length > PLAN_ROLE_MAX)
      throw invalid(
        `agents.${i}.role`,
        `agents[${i}].role is a name of 1 to ${PLAN_ROLE_MAX} characters.`,
      );
    if (
      typeof x.instructions !== 'string' ||
      x.instructions.trim() === '' ||
      x.instructions.length > PLAN_INSTRUCTIONS_MAX
    )
      throw invalid(
        `agents.${i}.instructions`,
        `agents[${i}].instructions is a text of 1 to ${PLAN_INSTRUCTIONS_MAX.toLocaleString('en-US')} characters.`,
      );
    return { role: x.role.trim(), instructions: x.instructions };
  });
  const plan: CoordinationPlan = { strategy: r.strategy, goal: r.goal.trim(), agents };
  if (r.maxRounds !== undefined && r.maxRounds !== null) {
    if (r.strategy !== 'mesh') throw invalid('maxRounds', 'maxRounds applies to mesh runs only.');
    if (
      !Number.isInteger(r.maxRounds) ||
      (r.maxRounds as number) < 1 ||
      (r.maxRounds as number) > MESH_MAX_ROUNDS_CEILING
    )
      throw invalid(
        'maxRounds',
        `maxRounds is a whole number from 1 to ${MESH_MAX_ROUNDS_CEILING}.`,
      );
    plan.maxRounds = r.maxRounds as number;
  } else if (r.strategy === 'mesh') plan.maxRounds = DEFAULT_MESH_MAX_ROUNDS;
  return plan;
}

/** Places a plan takes in its tree, its root included (hierarchical: the synthesiser too). */
export function agentsNeeded(plan: CoordinationPlan): number {
  return plan.agents.length + (plan.strategy === 'hierarchical' ? 2 : 1);
}

export type CoordinationOutcome =
  | ({ strategy: 'hierarchical' } & HierarchicalResult)
  | ({ strategy: 'mesh' } & MeshResult);

/** Runs a plan on `queue` under the root `rootId` with the coordinator its strategy names. */
export async function runCoordination(
  queue: TaskQueue,
  rootId: string,
  plan: CoordinationPlan,
  o: CoordinatorOptions,
): Promise<CoordinationOutcome> {
  if (plan.strategy === 'mesh')
    return {
      strategy: 'mesh',
      ...(await runMesh(
        queue,
        {
          rootId,
          goal: plan.goal,
          agents: plan.agents,
          maxRounds: plan.maxRounds ?? DEFAULT_MESH_MAX_ROUNDS,
        },
        o,
      )),
    };
  return {
    strategy: 'hierarchical',
    ...(await runHierarchical(queue, { rootId, goal: plan.goal, agents: plan.agents }, o)),
  };
}
