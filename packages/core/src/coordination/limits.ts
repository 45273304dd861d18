import type { TreeLimits } from './task-queue.js';

/**
 * A tree's limits when nobody set them — the config file's `multi_agent` section overrides them
 * (`max_agents`, `max_depth`), a run's own settings override those. Like Codex's multi-agent tools
 * (depth 1, 6 threads), small enough that a runaway lead cannot fan out far.
 */
export const DEFAULT_TREE_LIMITS: Readonly<TreeLimits> = Object.freeze({
  maxAgents: 8,
  maxDepth: 2,
  maxConcurrent: 4,
  budgetUsd: null,
  budgetTokens: null,
});

/** The most any tree may be given, whatever a config or a caller asks. */
export const TREE_LIMIT_CEILINGS = Object.freeze({
  maxAgents: 200,
  maxDepth: 6,
  maxConcurrent: 64,
});

/** `wait` returns after at most this long (10 minutes), whatever timeout it was given. */
export const WAIT_MAX_MS = 600_000;
/** `wait`'s timeout when none is given. */
export const WAIT_DEFAULT_MS = 30_000;

/** Why a coordination call was refused: switch on `code`. */
export type CoordinationErrorCode =
  /** The tree holds its maximum of agents, or the new agent would sit deeper than allowed. */
  | 'TREE_LIMIT'
  /** The tree's budget (USD or tokens) is spent, or the agent asks for more than is left. */
  | 'TREE_BUDGET'
  /** The tree stopped (cancelled, its budget spent, its goal met): it takes no new agents. */
  | 'TREE_STOPPED'
  /** No such agent or tree for this caller. */
  | 'NOT_FOUND'
  /** The request itself is malformed (an empty task, a negative budget, …). */
  | 'INVALID';

export class CoordinationError extends Error {
  readonly code: CoordinationErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: CoordinationErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CoordinationError';
    this.code = code;
    this.details = details;
  }
}

export function isCoordinationError(err: unknown): err is CoordinationError {
  return err instanceof CoordinationError;
}

/** Limits merged over the defaults and held to the ceilings; `INVALID` names the bad one. */
export function resolveTreeLimits(...layers: Array<Partial<TreeLimits> | undefined>): TreeLimits {
  const out: TreeLimits = { ...DEFAULT_TREE_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer) as Array<[keyof TreeLimits, unknown]>) {
      if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  const intIn = (name: keyof typeof TREE_LIMIT_CEILINGS, min: number) => {
    const v = out[name];
    const max = TREE_LIMIT_CEILINGS[name];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new CoordinationError('INVALID', `${name} is a whole number from ${min} to ${max}.`, {
        field: name,
      });
    }
  };
  intIn('maxAgents', 1);
  intIn('maxDepth', 0);
  intIn('maxConcurrent', 1);
  if (out.budgetUsd !== null && !(Number.isFinite(out.budgetUsd) && out.budgetUsd > 0)) {
    throw new CoordinationError('INVALID', 'budgetUsd is a positive amount of USD.', {
      field: 'budgetUsd',
    });
  }
  if (out.budgetTokens !== null && !(Number.isInteger(out.budgetTokens) && out.budgetTokens > 0)) {
    throw new CoordinationError('INVALID', 'budgetTokens is a positive whole number.', {
      field: 'budgetTokens',
    });
  }
  return out;
}

/** The tree limits a configuration's `multi_agent` section sets (no budget: a run sets its own). */
export function treeLimitsFromConfig(section: {
  max_agents: number;
  max_depth: number;
  max_concurrent: number;
}): Partial<TreeLimits> {
  return {
    maxAgents: section.max_agents,
    maxDepth: section.max_depth,
    maxConcurrent: section.max_concurrent,
  };
}
