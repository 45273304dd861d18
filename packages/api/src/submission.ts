/**
 * Task submission: the input schema and the checks that need the team — its repositories,
 * their refs, its Claude Code tools. ONE implementation for `task.submit` (console, tRPC) and
 * `baton task submit` (CLI), so all of them refuse the same input with the same field error.
 */
import {
  CLAUDE_CODE_TOOLS,
  effectiveTools,
  parseRepositorySource,
  RepositoryError,
  resolveRef,
  teamTools,
} from '@baton/core';
import type { Database } from '@baton/db/client';
import type { NewTask } from '@baton/db/queue';
import { BACKENDS, type teams } from '@baton/db/schema';
import { z } from 'zod';
import { assertTaskMayRun } from './budget';
import { type ApiConfig, defaultModelFor, instanceConfig } from './config';
import { repositoryRoots } from './env';
import { repositoryByName } from './repositories';
import { fieldError, parseInput } from './validate';

const MODEL_ID = z
  .string()
  .trim()
  .min(1, 'Choose a model.')
  .max(120, 'A model id has at most 120 characters.')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'Letters, digits and . _ : @ / - only.');

/** Blank optional text is absent. */
const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((v) => v || undefined);

export const CWD_REMOVED_MESSAGE =
  'Free-form working directories are gone: every claude-code task runs in a workspace of its own. Name a team repository to work on a clone of it.';

/** A task's maximum turns, budget and timeout: what a task may ask for and a team's defaults. */
export const TASK_MAX_TURNS = z
  .number()
  .int('Use a whole number.')
  .min(1, 'At least 1.')
  .max(500, 'At most 500.');
export const TASK_BUDGET_USD = z
  .number()
  .positive('Use a positive amount.')
  // Stored with 6 decimals: less would be $0, which the table refuses.
  .min(0.000001, 'At least $0.000001.')
  .max(100_000, 'At most $100,000.');
export const TASK_TIMEOUT_MS = z
  .number()
  .int('Use a whole number of milliseconds.')
  .min(1_000, 'At least 1 second.')
  .max(24 * 3_600_000, 'At most 24 hours.');

export const submitTaskInput = z
  .object({
    title: z.string().trim().max(200, 'Keep the title to 200 characters.').optional(),
    prompt: z
      .string()
      .trim()
      .min(1, 'Write a prompt.')
      .max(200_000, 'The prompt is limited to 200,000 characters.'),
    backend: z.enum(BACKENDS, 'Choose api or claude-code.'),
    /**
     * Default: the configuration's (`claudeCode.model` for a claude-code task, else
     * `models.default`; without a file @baton/core's `DEFAULT_MODEL` — the console, the CLI and the
     * API agree).
     */
    model: MODEL_ID.optional(),
    fallbackModels: z.array(MODEL_ID).max(5, 'At most 5 fallback models.').default([]),
    /** Gone: accepted only to refuse it with a field error that says why. */
    cwd: z.unknown().optional(),
    /** claude-code: the team repository (by name) the workspace is a clone of. */
    repository: optionalText(63, 'A repository name has at most 63 characters.'),
    /** claude-code: the ref to check out (default: the repository's default ref). */
    ref: optionalText(200, 'A ref has at most 200 characters.'),
    /** claude-code: narrows the team's tools (never widens them). */
    tools: z
      .array(z.string().trim().min(1, 'Name a tool.').max(60, 'Not a tool name.'))
      .min(1, 'Keep at least one tool.')
      .max(CLAUDE_CODE_TOOLS.length * 2, 'Too many tools.')
      .optional(),
    /**
     * claude-code: Baton's MCP server in the session, as this task (a token of its tree the
     * worker mints and revokes): the agents it spawns are Baton tasks under its budget.
     */
    mcp: z.boolean('mcp is true or false.').optional(),
    maxTurns: TASK_MAX_TURNS.optional(),
    budgetUsd: TASK_BUDGET_USD.optional(),
    priority: z
      .number()
      .int('Use a whole number.')
      .min(-100, 'At least -100.')
      .max(100, 'At most 100.')
      .default(0),
    timeoutMs: TASK_TIMEOUT_MS.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.model !== undefined && v.fallbackModels.includes(v.model)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fallbackModels'],
        message: 'The primary model cannot also be a fallback.',
      });
    }
  });

/** What a caller sends (tRPC input, or the CLI's flags). */
export type SubmitTaskInput = z.input<typeof submitTaskInput>;

/** What `submitTask` (@baton/db/queue) is given. */
export type TaskSubmission = NewTask & { teamQuota: number };

/** The team a task is submitted to (a `teams` row). */
export type SubmissionTeam = Pick<
  typeof teams.$inferSelect,
  | 'id'
  | 'maxConcurrentTasks'
  | 'claudeCodeTools'
  | 'allowInstanceKey'
  | 'defaultTaskBudgetUsd'
  | 'defaultMaxTurns'
  | 'defaultTimeoutMs'
>;

export interface PrepareSubmissionOptions {
  /** The submitting user (null: the CLI, acting as the instance's administrator). */
  createdBy?: string | null;
  /** Folders local repositories may come from (default: BATON_REPOS_DIRS). */
  repoRoots?: string[];
  /** The instance's configuration (default: BATON_CONFIG's, see config.ts): the default models. */
  config?: ApiConfig;
  signal?: AbortSignal;
}

/**
 * Validates a task for `team` and returns the arguments of `submitTask`. Throws
 * `AppError('BAD_REQUEST', message, { field })`:
 *  - any schema problem (field as in the zod schema; `meta.issues` lists them all);
 *  - `cwd`: given at all (free-form working directories are gone);
 *  - `repository` / `ref` / `tools` on a backend other than claude-code;
 *  - `ref` without `repository`;
 *  - `tools` the team does not allow (named);
 *  - `repository`: no such repository in the team, or its source is no longer usable;
 *  - `ref`: not a ref of the repository (the given one, or the repository's default).
 * Then, once the input is valid (`assertTaskMayRun`):
 *  - FORBIDDEN: the team has no provider key of its own and may not use the instance's;
 *  - BUDGET_EXCEEDED (FORBIDDEN over tRPC, `meta.details: { scope, period, usd, spent,
 *    resetsAt }`): a spend cap that applies to the team or to `createdBy` is reached — the
 *    message is the cap's sentence ("The team's daily cap of $5.00 is reached ($5.0213 spent);
 *    it resets at 2026-12-04T00:00:00Z").
 * Stores in `options`: `repositoryId`, `ref` (as typed; default the repository's default ref),
 * `tools` (the narrowed list, only when the task gave one), `mcp` (true only), `maxTurns`. A budget, timeout or
 * maximum turns the task leaves out is the team's default (`team.default*`), if it has one.
 */
export async function prepareTaskSubmission(
  db: Database,
  team: SubmissionTeam,
  input: SubmitTaskInput,
  o: PrepareSubmissionOptions = {},
): Promise<TaskSubmission> {
  const v = parseInput(submitTaskInput, input);
  if (v.cwd !== undefined) throw fieldError('cwd', CWD_REMOVED_MESSAGE);
  if (v.backend !== 'claude-code') {
    if (v.repository)
      throw fieldError('repository', 'A repository applies to the claude-code backend only.');
    if (v.ref) throw fieldError('ref', 'A ref applies to the claude-code backend only.');
    if (v.tools) throw fieldError('tools', 'Tools apply to the claude-code backend only.');
    if (v.mcp)
      throw fieldError(
        'mcp',
        "Baton's MCP server in the session applies to the claude-code backend only.",
      );
  }
  if (v.ref && !v.repository)
    throw fieldError(
      'ref',
      'A ref needs a repository: name the team repository to check it out from.',
    );

  const model = v.model ?? defaultModelFor(o.config ?? instanceConfig(), v.backend);
  if (v.fallbackModels.includes(model))
    throw fieldError(
      'fallbackModels',
      `The primary model (${model}, the default) cannot also be a fallback.`,
    );

  const options: Record<string, unknown> = {};
  if (v.repository) {
    const repo = await repositoryByName(db, team.id, v.repository);
    const ref = v.ref ?? repo.defaultRef;
    try {
      const source = parseRepositorySource(repo.source, o.repoRoots ?? repositoryRoots());
      await resolveRef(source, ref, { signal: o.signal });
    } catch (err) {
      if (err instanceof RepositoryError)
        throw fieldError(err.field === 'source' ? 'repository' : 'ref', err.message);
      throw err;
    }
    options.repositoryId = repo.id;
    options.ref = ref;
  }
  if (v.tools) {
    const asked = [...new Set(v.tools)];
    const { tools, refused } = effectiveTools(team.claudeCodeTools, asked);
    if (refused.length)
      throw fieldError(
        'tools',
        `Not allowed for this team: ${refused.join(', ')}. It allows ${teamTools(team.claudeCodeTools).join(', ')}.`,
      );
    options.tools = tools;
  }
  if (v.mcp) options.mcp = true;
  // What the task leaves out comes from the team's defaults (the team row the caller already
  // read: no statement of its own).
  const maxTurns = v.maxTurns ?? team.defaultMaxTurns ?? undefined;
  if (maxTurns) options.maxTurns = maxTurns;

  await assertTaskMayRun(db, team, o.createdBy ?? null);

  return {
    teamId: team.id,
    createdBy: o.createdBy ?? null,
    title: v.title || null,
    prompt: v.prompt,
    backend: v.backend,
    model,
    fallbackModels: v.fallbackModels,
    options,
    priority: v.priority,
    budgetUsd:
      v.budgetUsd === undefined ? (team.defaultTaskBudgetUsd ?? null) : v.budgetUsd.toFixed(6),
    timeoutMs: v.timeoutMs ?? team.defaultTimeoutMs ?? null,
    teamQuota: team.maxConcurrentTasks,
  };
}
