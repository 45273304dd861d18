/**
 * Core's `TaskQueue` kept in PostgreSQL: a multi-agent run is a tree of ordinary tasks
 * (`tasks.root_task_id` / `parent_task_id` / `depth` / `role`) around one `task_trees` row that
 * holds its limits, its budget and what it spent. Every agent is submitted through the same path
 * as `task.submit` (`prepareTaskSubmission`: the team's defaults, its spend caps, its tools; then
 * `submitTask`: the task row and its job together), and a spawn reserves its place in the tree in
 * the same statement that checks the tree's limits, inside the transaction that inserts the task:
 * a refused spawn leaves nothing behind, and parallel spawns never hold more agents than allowed.
 *
 * One queue is one caller's view: a team (and, for a task-scoped MCP token, that task's tree);
 * anything outside it is NOT_FOUND, so ids cannot be probed.
 */
import { randomUUID } from 'node:crypto';
import {
  type AgentRecord,
  type AgentStatus,
  type BoardPost,
  type BoardPostKind,
  CoordinationError,
  isTerminalAgentStatus,
  resolveTreeLimits,
  type SpawnRequest,
  type SpawnResult,
  type TaskQueue,
  type TreeLimits,
  type TreeState,
  WAIT_DEFAULT_MS,
  WAIT_MAX_MS,
  type WaitOptions,
} from '@baton/core';
import type { Database, DbClient } from '@baton/db/client';
import { type PgBoss, redriveTask, requestCancel, submitTask } from '@baton/db/queue';
import {
  BACKENDS,
  BOARD_POST_KINDS,
  COORDINATION_STRATEGIES,
  type TreeStatus,
  teams,
} from '@baton/db/schema';
import { eq, type SQL, sql } from 'drizzle-orm';
import { assertTaskMayRun } from '../budget';
import type { ApiConfig } from '../config';
import { isAppError } from '../errors';
import { prepareTaskSubmission, type SubmitTaskInput } from '../submission';
import { createWaker, listenTask } from '../task-events';

export interface AgentScope {
  teamId: string;
  /** Who spawns: the task's created_by (their user spend caps apply); null for a token without a creator. */
  userId: string | null;
  /** A task-scoped caller (an MCP token minted for one task): only this tree is visible, others are NOT_FOUND. */
  rootTaskId?: string | null;
  /** A task-scoped caller: the task it speaks for; a spawn without parentId goes under it. */
  taskId?: string | null;
}

export interface PgTaskQueueDeps {
  db: Database;
  pool: DbClient['pool'];
  boss: () => Promise<PgBoss>;
}

/** How often `wait` re-reads its agents when no notification woke it. */
export const WAIT_POLL_MS = 250;
/** The most agents `list` returns, and `wait` takes, at once. */
export const AGENT_LIST_LIMIT = 500;
/** The most board posts one `board` call returns (page on with `afterId`). */
export const BOARD_PAGE_LIMIT = 1000;
/** A board post's length (the table's check `agent_board_body`). */
export const BOARD_BODY_MAX = 20_000;
/** An input's length (the table's check `task_inputs_message`). */
export const INPUT_MESSAGE_MAX = 100_000;
/** A cancel reason's, a role's and a tree goal's lengths. */
const REASON_MAX = 500;
const ROLE_MAX = 100;
const GOAL_MAX = 20_000;
/** A mesh run's rounds. */
const MAX_ROUNDS_CEILING = 1000;

/** Spawn options that go through `task.submit`'s own validation, as its input fields. */
const SUBMISSION_OPTIONS = [
  'maxTurns',
  'tools',
  'repository',
  'ref',
  'fallbackModels',
  'priority',
  'timeoutMs',
] as const;
/** Spawn options the worker reads from a task's `options` as they are. */
const TASK_OPTIONS = {
  system: (v: unknown) =>
    typeof v === 'string' && v.length >= 1 && v.length <= 200_000
      ? null
      : 'options.system is a system prompt of 1 to 200,000 characters.',
  maxTokens: (v: unknown) =>
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 128_000
      ? null
      : 'options.maxTokens is a whole number from 1 to 128,000.',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(field: string, message: string, details: Record<string, unknown> = {}) {
  return new CoordinationError('INVALID', message, { field, ...details });
}

function notFound(field: string, what = 'Agent') {
  return new CoordinationError('NOT_FOUND', `${what} not found.`, { field });
}

/** An id that is no uuid names nothing: NOT_FOUND, like an id of another team. */
function idOf(value: unknown, field: string, what = 'Agent'): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw notFound(field, what);
  return value.toLowerCase();
}

function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

function usd(v: number): string {
  return `$${v.toFixed(v < 1 ? 4 : 2)}`;
}

interface TaskRow {
  id: string;
  team_id: string;
  parent_task_id: string | null;
  root_task_id: string | null;
  depth: number;
  status: AgentStatus;
  backend: (typeof BACKENDS)[number];
  model: string;
  created_by: string | null;
}

interface TreeRow {
  root_task_id: string;
  strategy: TreeState['strategy'];
  goal: string | null;
  max_agents: number;
  max_depth: number;
  max_concurrent: number;
  budget_usd: string | null;
  budget_tokens: string | number | null;
  max_rounds: number | null;
  agents: number;
  spent_usd: string;
  spent_tokens: string | number;
  status: TreeStatus;
  stop_reason: string | null;
}

interface AgentRow {
  id: string;
  parent_task_id: string | null;
  root_id: string;
  depth: number;
  role: string | null;
  title: string | null;
  status: AgentStatus;
  status_reason: string | null;
  result: string | null;
  created_at: Date | string;
  finished_at: Date | string | null;
  requests: number;
  input_tokens: string | number;
  output_tokens: string | number;
  cache_write_tokens: string | number;
  cache_read_tokens: string | number;
  cost_usd: string;
  request_ids: string[] | null;
  session_id: string | null;
  /** A coordinated run's root (options.coordinate, never an agent option): its work is its agents'. */
  coordinates: boolean;
}

function treeState(r: TreeRow): TreeState {
  return {
    rootId: r.root_task_id,
    strategy: r.strategy,
    goal: r.goal,
    limits: {
      maxAgents: r.max_agents,
      maxDepth: r.max_depth,
      maxConcurrent: r.max_concurrent,
      budgetUsd: r.budget_usd === null ? null : Number(r.budget_usd),
      budgetTokens: r.budget_tokens === null ? null : Number(r.budget_tokens),
    },
    maxRounds: r.max_rounds,
    agents: r.agents,
    spentUsd: Number(r.spent_usd),
    spentTokens: Number(r.spent_tokens),
    status: r.status,
    stopReason: r.stop_reason,
  };
}

function agentRecord(r: AgentRow): AgentRecord {
  const terminal = isTerminalAgentStatus(r.status);
  return {
    agentId: r.id,
    parentId: r.parent_task_id,
    rootId: r.root_id,
    depth: r.depth,
    role: r.role,
    title: r.title,
    status: r.status,
    statusReason: r.status_reason,
    result: r.status === 'succeeded' ? r.result : null,
    usage: {
      requests: r.requests,
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cacheWriteTokens: Number(r.cache_write_tokens),
      cacheReadTokens: Number(r.cache_read_tokens),
    },
    costUsd: Number(r.cost_usd),
    proof: {
      sessionId: r.session_id,
      requestIds: r.request_ids ?? [],
      // A coordinator makes no model call of its own: its proof is its agents'.
      noModelCall: terminal && r.requests === 0 && !r.coordinates,
    },
    createdAt: asDate(r.created_at),
    finishedAt: r.finished_at === null ? null : asDate(r.finished_at),
  };
}

/**
 * An agent with its usage summed from `usage_events` and its proof of running: the session it
 * ran in (the task's latest `claude_sessions` row: Claude Code's session id or the API
 * conversation's) and its provider request ids, oldest first.
 */
const AGENT_SELECT = sql`
  select t.id, t.parent_task_id, coalesce(t.root_task_id, t.id) as root_id, t.depth, t.role,
         t.title, t.status::text as status, t.status_reason, t.result, t.created_at, t.finished_at,
         u.requests, u.input_tokens, u.output_tokens, u.cache_write_tokens, u.cache_read_tokens,
         u.cost_usd, u.request_ids, (t.options ? 'coordinate') as coordinates,
         (select coalesce(s.provider_session_id, s.id::text) from claude_sessions s
           where s.task_id = t.id order by s.created_at desc, s.id desc limit 1) as session_id
    from tasks t
    cross join lateral (
      select count(*)::int as requests,
             coalesce(sum(e.input_tokens), 0)::bigint as input_tokens,
             coalesce(sum(e.output_tokens), 0)::bigint as output_tokens,
             coalesce(sum(e.cache_write_5m_tokens + e.cache_write_1h_tokens), 0)::bigint as cache_write_tokens,
             coalesce(sum(e.cache_read_tokens), 0)::bigint as cache_read_tokens,
             coalesce(sum(e.cost_usd), 0)::text as cost_usd,
             array(select r.provider_request_id from usage_events r where r.task_id = t.id
                    group by r.provider_request_id order by min(r.created_at), min(r.id)) as request_ids
        from usage_events e where e.task_id = t.id
    ) u`;

/** The tree's columns, for `TreeState` and for saying which limit refused a spawn. */
const TREE_COLUMNS = sql.raw(
  'root_task_id, strategy, goal, max_agents, max_depth, max_concurrent, budget_usd::text as budget_usd, budget_tokens, max_rounds, agents, spent_usd::text as spent_usd, spent_tokens, status, stop_reason',
);

/** TREE_STOPPED when the tree is no longer running. */
function stoppedRefusal(tree: TreeRow): CoordinationError | null {
  if (tree.status === 'running') return null;
  return new CoordinationError(
    'TREE_STOPPED',
    `The tree is ${tree.status.replace('_', ' ')}${tree.stop_reason ? ` (${tree.stop_reason})` : ''}: it takes no new work.`,
    { rootId: tree.root_task_id, status: tree.status, stopReason: tree.stop_reason },
  );
}

/** TREE_BUDGET when the tree's budget (USD or tokens) is spent. */
function budgetRefusal(tree: TreeRow): CoordinationError | null {
  const budget = tree.budget_usd === null ? null : Number(tree.budget_usd);
  const spent = Number(tree.spent_usd);
  if (budget !== null && spent >= budget) {
    return new CoordinationError(
      'TREE_BUDGET',
      `The tree's budget of ${usd(budget)} is spent (${usd(spent)} spent).`,
      { rootId: tree.root_task_id, budgetUsd: budget, spentUsd: spent },
    );
  }
  const tokens = tree.budget_tokens === null ? null : Number(tree.budget_tokens);
  const spentTokens = Number(tree.spent_tokens);
  if (tokens !== null && spentTokens >= tokens) {
    return new CoordinationError(
      'TREE_BUDGET',
      `The tree's budget of ${tokens} tokens is spent (${spentTokens} used).`,
      { rootId: tree.root_task_id, budgetTokens: tokens, spentTokens },
    );
  }
  return null;
}

/** Why a tree took no agent at `depth` (`tree` as read after the refusal), most final first. */
function spawnRefusal(tree: TreeRow, depth: number): CoordinationError {
  const stopped = stoppedRefusal(tree);
  if (stopped) return stopped;
  if (depth > tree.max_depth) {
    return new CoordinationError(
      'TREE_LIMIT',
      `An agent at depth ${depth} would sit deeper than the tree's maximum depth of ${tree.max_depth}.`,
      { rootId: tree.root_task_id, limit: 'maxDepth', maxDepth: tree.max_depth, depth },
    );
  }
  if (tree.agents >= tree.max_agents) {
    return new CoordinationError(
      'TREE_LIMIT',
      `The tree holds its maximum of ${tree.max_agents} agents.`,
      { rootId: tree.root_task_id, limit: 'maxAgents', maxAgents: tree.max_agents },
    );
  }
  const spent = budgetRefusal(tree);
  if (spent) return spent;
  // The reservation lost to a change that has since been undone: the caller may simply retry.
  return new CoordinationError('TREE_LIMIT', 'The tree took no new agent just now; try again.', {
    rootId: tree.root_task_id,
  });
}

/** A refusal of the submission path (a field of `task.submit`) in the coordination's terms. */
function asInvalid(err: unknown): unknown {
  if (!isAppError(err) || err.code !== 'BAD_REQUEST') return err;
  const field = err.meta?.field;
  const named =
    field === 'prompt'
      ? 'task'
      : field && (SUBMISSION_OPTIONS as readonly string[]).includes(field)
        ? `options.${field}`
        : field;
  return new CoordinationError('INVALID', err.message, {
    ...err.meta,
    ...(named ? { field: named } : {}),
  });
}

/** The agent's own budget, held to what is left of the tree's (6 decimals, as tasks store it). */
function cappedBudget(own: string | null, leftUsd: string | null): string | null {
  if (leftUsd === null) return own;
  const left = Math.max(0.000001, Math.floor(Number(leftUsd) * 1e6) / 1e6);
  if (own === null || Number(own) > left) return left.toFixed(6);
  return own;
}

export function createPgTaskQueue(
  deps: PgTaskQueueDeps,
  scope: AgentScope,
  options: {
    limits?: Partial<TreeLimits>;
    pollMs?: number;
    /** The instance's configuration (default: BATON_CONFIG's): a spawn's default model. */
    config?: ApiConfig;
  } = {},
): TaskQueue {
  const { db, pool } = deps;
  const pollMs = options.pollMs ?? WAIT_POLL_MS;
  const scopeRoot = scope.rootTaskId ?? null;
  const requestedBy = scope.userId ?? undefined;

  /** `alias` (a task or a tree: both carry team_id and root_task_id) is this caller's to see. */
  const visible = (alias: string): SQL =>
    scopeRoot
      ? sql`${sql.raw(alias)}.team_id = ${scope.teamId} and ${sql.raw(alias)}.root_task_id = ${scopeRoot}`
      : sql`${sql.raw(alias)}.team_id = ${scope.teamId}`;

  async function rows<T>(query: SQL, executor: Pick<Database, 'execute'> = db): Promise<T[]> {
    const result = await executor.execute(query);
    return result.rows as T[];
  }

  async function taskRow(id: string, field: string): Promise<TaskRow> {
    const [row] = await rows<TaskRow>(
      sql`select t.id, t.team_id, t.parent_task_id, t.root_task_id, t.depth, t.status::text as status,
                 t.backend::text as backend, t.model, t.created_by
            from tasks t where t.id = ${id} and ${visible('t')}`,
    );
    if (!row) throw notFound(field);
    return row;
  }

  async function treeRow(rootId: string): Promise<TreeRow> {
    const [row] = await rows<TreeRow>(
      sql`select ${TREE_COLUMNS} from task_trees tr where tr.root_task_id = ${rootId} and ${visible('tr')}`,
    );
    if (!row) throw notFound('rootId', 'Tree');
    return row;
  }

  async function team() {
    const [row] = await db.select().from(teams).where(eq(teams.id, scope.teamId));
    if (!row) throw notFound('teamId', 'Team');
    return row;
  }

  /** The agents `ids` names, in that order; NOT_FOUND names the first one this caller cannot see. */
  async function records(ids: string[], signal?: AbortSignal): Promise<AgentRecord[]> {
    signal?.throwIfAborted();
    if (ids.length === 0) return [];
    const found = await rows<AgentRow>(
      sql`${AGENT_SELECT} where t.id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) and ${visible('t')}`,
    );
    const byId = new Map(found.map((r) => [r.id, agentRecord(r)]));
    return ids.map((id) => {
      const record = byId.get(id);
      if (!record)
        throw new CoordinationError('NOT_FOUND', `Agent ${id} not found.`, { agentId: id });
      return record;
    });
  }

  /** Validates a spawn's options: those of `task.submit` as its input, the rest as task options. */
  function spawnOptions(raw: unknown): {
    submission: Partial<SubmitTaskInput>;
    taskOptions: Record<string, unknown>;
  } {
    if (raw === undefined || raw === null) return { submission: {}, taskOptions: {} };
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw invalid('options', 'options is an object of backend options.');
    const submission: Record<string, unknown> = {};
    const taskOptions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      if ((SUBMISSION_OPTIONS as readonly string[]).includes(key)) submission[key] = value;
      else if (key in TASK_OPTIONS) {
        const problem = TASK_OPTIONS[key as keyof typeof TASK_OPTIONS](value);
        if (problem) throw invalid(`options.${key}`, problem);
        taskOptions[key] = value;
      } else {
        throw invalid(
          `options.${key}`,
          `options.${key} is not an agent option; use ${[...SUBMISSION_OPTIONS, ...Object.keys(TASK_OPTIONS)].join(', ')}.`,
        );
      }
    }
    return { submission: submission as Partial<SubmitTaskInput>, taskOptions };
  }

  const queue: TaskQueue = {
    async spawn(request: SpawnRequest, signal?: AbortSignal): Promise<SpawnResult> {
      signal?.throwIfAborted();
      if (typeof request?.task !== 'string' || request.task.trim() === '')
        throw invalid('task', 'The task is empty: give the agent its instructions.');
      if (
        request.budgetUsd !== undefined &&
        !(typeof request.budgetUsd === 'number' && Number.isFinite(request.budgetUsd)) // NaN, ±∞
      )
        throw invalid('budgetUsd', 'budgetUsd is a positive amount of USD.');
      // Stored with 6 decimals (tasks and trees alike): less would be $0, which both refuse.
      if (request.budgetUsd !== undefined && request.budgetUsd < 0.000001)
        throw invalid('budgetUsd', 'budgetUsd is a positive amount of USD, at least $0.000001.');
      if (
        request.backend !== undefined &&
        !(BACKENDS as readonly string[]).includes(request.backend)
      )
        throw invalid('backend', `backend is one of ${BACKENDS.join(', ')}.`);
      let role: string | null = null;
      if (request.role !== undefined) {
        if (typeof request.role !== 'string' || request.role.trim().length > ROLE_MAX)
          throw invalid('role', `role is a name of at most ${ROLE_MAX} characters.`);
        role = request.role.trim() || null;
      }
      const { submission, taskOptions } = spawnOptions(request.options);

      const parentId =
        request.parentId != null
          ? idOf(request.parentId, 'parentId')
          : (scope.taskId ?? scopeRoot ?? null);
      const parent = parentId ? await taskRow(parentId, 'parentId') : null;
      // A new root's tree (or the tree created around a parent that has none): limits checked
      // before anything is written.
      const newTreeLimits =
        parent === null
          ? resolveTreeLimits(options.limits, { budgetUsd: request.budgetUsd })
          : parent.root_task_id === null
            ? resolveTreeLimits(options.limits)
            : null;

      const teamRow = await team();
      let prepared: Awaited<ReturnType<typeof prepareTaskSubmission>>;
      try {
        prepared = await prepareTaskSubmission(
          db,
          teamRow,
          {
            ...submission,
            prompt: request.task,
            title: request.title,
            backend: request.backend ?? parent?.backend ?? 'api',
            model: request.model ?? parent?.model,
            budgetUsd: request.budgetUsd,
          },
          {
            createdBy: scope.userId,
            signal,
            ...(options.config ? { config: options.config } : {}),
          },
        );
      } catch (err) {
        throw asInvalid(err);
      }
      Object.assign(prepared.options as Record<string, unknown>, taskOptions);
      const boss = await deps.boss();
      signal?.throwIfAborted();

      return db.transaction(async (tx) => {
        // submitTask nests its own transaction in this one (a savepoint): the task, its job and
        // the tree's reservation commit together or not at all.
        const inTx = tx as unknown as Database;
        const insertTree = (rootId: string, limits: TreeLimits) =>
          tx.execute(
            sql`insert into task_trees (root_task_id, team_id, strategy, max_agents, max_depth,
                                        max_concurrent, budget_usd, budget_tokens)
                values (${rootId}, ${scope.teamId}, 'hierarchical', ${limits.maxAgents},
                        ${limits.maxDepth}, ${limits.maxConcurrent},
                        ${limits.budgetUsd === null ? null : limits.budgetUsd.toFixed(6)}::numeric,
                        ${limits.budgetTokens}::bigint)
                on conflict (root_task_id) do nothing`,
          );

        if (parent === null) {
          const limits = newTreeLimits!;
          const id = randomUUID();
          await submitTask(
            inTx,
            boss,
            { ...prepared, id, rootTaskId: id, depth: 0, role },
            { requestedBy },
          );
          await insertTree(id, limits);
          return { agentId: id, rootId: id, depth: 0, status: 'queued' as const };
        }

        let rootId = parent.root_task_id;
        if (rootId === null) {
          // The parent becomes a root: a concurrent spawn that did it first wins (this update
          // waits for it and keeps its root), the tree row is created once.
          const [made] = await rows<{ root_task_id: string }>(
            sql`update tasks set root_task_id = coalesce(root_task_id, id), updated_at = now()
                 where id = ${parent.id} returning root_task_id`,
            tx,
          );
          if (!made) throw notFound('parentId');
          rootId = made.root_task_id;
          if (rootId === parent.id) await insertTree(rootId, newTreeLimits!);
        }
        const depth = parent.depth + 1;
        // The one statement that checks the tree's limits and reserves the agent's place: rows
        // of a tree are locked by it, so parallel spawns queue on the row and each sees the
        // count the one before it left.
        const [reserved] = await rows<{ left_usd: string | null }>(
          sql`update task_trees tr set agents = tr.agents + 1, updated_at = now()
               where tr.root_task_id = ${rootId} and ${visible('tr')}
                 and tr.status = 'running'
                 and tr.agents < tr.max_agents
                 and ${depth}::int <= tr.max_depth
                 and (tr.budget_usd is null or tr.spent_usd < tr.budget_usd)
                 and (tr.budget_tokens is null or tr.spent_tokens < tr.budget_tokens)
           returning (tr.budget_usd - tr.spent_usd)::text as left_usd`,
          tx,
        );
        if (!reserved) {
          const [tree] = await rows<TreeRow>(
            sql`select ${TREE_COLUMNS} from task_trees where root_task_id = ${rootId}`,
            tx,
          );
          if (!tree) throw notFound('parentId', 'Tree');
          throw spawnRefusal(tree, depth);
        }
        const row = await submitTask(
          inTx,
          boss,
          {
            ...prepared,
            budgetUsd: cappedBudget(prepared.budgetUsd ?? null, reserved.left_usd),
            parentTaskId: parent.id,
            rootTaskId: rootId,
            depth,
            role,
          },
          { requestedBy },
        );
        return { agentId: row.id, rootId, depth, status: row.status };
      });
    },

    async createTree(rootId, o, signal) {
      signal?.throwIfAborted();
      const id = idOf(rootId, 'rootId', 'Task');
      if (!(COORDINATION_STRATEGIES as readonly string[]).includes(o?.strategy))
        throw invalid('strategy', `strategy is one of ${COORDINATION_STRATEGIES.join(', ')}.`);
      const limits = resolveTreeLimits(options.limits, o.limits);
      if (
        o.maxRounds !== undefined &&
        !(Number.isInteger(o.maxRounds) && o.maxRounds >= 1 && o.maxRounds <= MAX_ROUNDS_CEILING)
      )
        throw invalid('maxRounds', `maxRounds is a whole number from 1 to ${MAX_ROUNDS_CEILING}.`);
      if (o.goal !== undefined && (typeof o.goal !== 'string' || o.goal.length > GOAL_MAX))
        throw invalid('goal', `goal is a text of at most ${GOAL_MAX} characters.`);
      const goal = o.goal?.trim() || null;
      const task = await taskRow(id, 'rootId');
      const inTree = () =>
        invalid(
          'rootId',
          `Task ${id} is already in a tree (its root is ${task.root_task_id ?? id}).`,
          {
            rootId: task.root_task_id ?? id,
          },
        );
      if (task.root_task_id !== null) throw inTree();
      return db.transaction(async (tx) => {
        const [made] = await rows<{ id: string }>(
          sql`update tasks set root_task_id = id, updated_at = now()
               where id = ${id} and team_id = ${scope.teamId} and root_task_id is null returning id`,
          tx,
        );
        if (!made) throw inTree();
        const [tree] = await rows<TreeRow>(
          sql`insert into task_trees (root_task_id, team_id, strategy, goal, max_agents, max_depth,
                                      max_concurrent, budget_usd, budget_tokens, max_rounds)
              values (${id}, ${scope.teamId}, ${o.strategy}, ${goal}, ${limits.maxAgents},
                      ${limits.maxDepth}, ${limits.maxConcurrent},
                      ${limits.budgetUsd === null ? null : limits.budgetUsd.toFixed(6)}::numeric,
                      ${limits.budgetTokens}::bigint, ${o.maxRounds ?? null}::int)
              returning ${TREE_COLUMNS}`,
          tx,
        );
        return treeState(tree!);
      });
    },

    async sendInput(agentId, message, signal) {
      signal?.throwIfAborted();
      const id = idOf(agentId, 'agentId');
      if (
        typeof message !== 'string' ||
        message.trim() === '' ||
        message.length > INPUT_MESSAGE_MAX
      )
        throw invalid(
          'message',
          `The message is a text of 1 to ${INPUT_MESSAGE_MAX.toLocaleString('en-US')} characters.`,
        );
      const agent = await taskRow(id, 'agentId');
      const terminal = isTerminalAgentStatus(agent.status);
      if (agent.root_task_id !== null) {
        const tree = await treeRow(agent.root_task_id);
        const refusal = stoppedRefusal(tree) ?? (terminal ? budgetRefusal(tree) : null);
        if (refusal) throw refusal;
      }
      const teamRow = terminal ? await team() : null;
      // Refused like `task.retry` when the caps that apply are reached, before anything is kept.
      if (teamRow) await assertTaskMayRun(db, teamRow, agent.created_by);
      await db.execute(
        sql`insert into task_inputs (task_id, message, created_by) values (${id}, ${message}, ${scope.userId})`,
      );
      if (teamRow) {
        const boss = await deps.boss();
        // A queued or running agent (it restarted meanwhile) takes the input on its next turn.
        await redriveTask(pool, boss, id, {
          requestedBy,
          teamQuota: teamRow.maxConcurrentTasks,
          continue: true,
          reason: 'continued with new input',
        });
      }
      const [record] = await records([id], signal);
      return record!;
    },

    async wait(agentIds, o: WaitOptions = {}) {
      if (!Array.isArray(agentIds)) throw invalid('agentIds', 'agentIds is a list of agent ids.');
      if (agentIds.length > AGENT_LIST_LIMIT)
        throw invalid('agentIds', `Wait for at most ${AGENT_LIST_LIMIT} agents at once.`);
      if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs >= 0))
        throw invalid('timeoutMs', 'timeoutMs is a number of milliseconds, 0 or more.');
      const ids = [...new Set(agentIds.map((a) => idOf(a, 'agentIds')))];
      const timeoutMs = Math.min(o.timeoutMs ?? WAIT_DEFAULT_MS, WAIT_MAX_MS);
      const deadline = Date.now() + timeoutMs;
      const waker = createWaker();
      const unlisten = ids.map((id) => listenTask(pool, id, waker.wake));
      try {
        let last: string | null = null;
        for (;;) {
          const agents = await records(ids, o.signal);
          const key = JSON.stringify(agents.map((a) => [a.status, a.statusReason]));
          if (last !== null && key !== last) o.onProgress?.(agents);
          last = key;
          if (agents.every((a) => isTerminalAgentStatus(a.status)))
            return { agents, timedOut: false };
          const left = deadline - Date.now();
          if (left <= 0) return { agents, timedOut: true };
          await waker.wait(Math.min(pollMs, left), o.signal);
          o.signal?.throwIfAborted();
        }
      } finally {
        for (const off of unlisten) off();
      }
    },

    async get(agentId, signal) {
      const [record] = await records([idOf(agentId, 'agentId')], signal);
      return record!;
    },

    async list(o = {}) {
      o.signal?.throwIfAborted();
      if (o.rootId !== undefined) {
        const rootId = idOf(o.rootId, 'rootId', 'Tree');
        await treeRow(rootId);
        const found = await rows<AgentRow>(
          sql`${AGENT_SELECT} where t.root_task_id = ${rootId} and ${visible('t')}
               order by t.depth, t.created_at, t.id limit ${AGENT_LIST_LIMIT}`,
        );
        return found.map(agentRecord);
      }
      const found = await rows<AgentRow>(
        sql`${AGENT_SELECT} where t.root_task_id is not null and ${visible('t')}
             order by t.created_at desc, t.id desc limit ${AGENT_LIST_LIMIT}`,
      );
      return found.map(agentRecord);
    },

    async cancel(agentId, reason, signal) {
      signal?.throwIfAborted();
      const id = idOf(agentId, 'agentId');
      if (typeof reason !== 'string' || reason.trim() === '' || reason.trim().length > REASON_MAX)
        throw invalid('reason', `Say why, in 1 to ${REASON_MAX} characters.`);
      const why = reason.trim();
      const agent = await taskRow(id, 'agentId');
      const isRoot = agent.root_task_id === agent.id;
      if (isRoot) {
        // First, so nothing new is spawned into the tree while its agents are stopped.
        await db.execute(
          sql`update task_trees set status = 'cancelled', stop_reason = ${why}, updated_at = now()
               where root_task_id = ${id} and team_id = ${scope.teamId} and status = 'running'`,
        );
      }
      // The agent and everything below it, parents before their children.
      const targets = await rows<{ id: string }>(
        sql`with recursive sub(id, level) as (
              select t.id, 0 from tasks t where t.id = ${id}
              union
              select c.id, sub.level + 1 from tasks c join sub on c.parent_task_id = sub.id
               where c.team_id = ${scope.teamId} and sub.level < 64
            ), everyone as (
              select id, level from sub
              union all
              select t.id, t.depth from tasks t where ${isRoot}::boolean and t.root_task_id = ${id}
            )
            select e.id from everyone e join tasks t on t.id = e.id
             where t.status in ('queued', 'running')
             group by e.id order by min(e.level), e.id`,
      );
      let cancelled = 0;
      for (const target of targets) {
        const outcome = await requestCancel(pool, target.id, why);
        if (outcome === 'cancelled' || outcome === 'requested') cancelled++;
      }
      return { cancelled };
    },

    async tree(rootId, signal) {
      signal?.throwIfAborted();
      return treeState(await treeRow(idOf(rootId, 'rootId', 'Tree')));
    },

    async board(rootId, o = {}) {
      o.signal?.throwIfAborted();
      const id = idOf(rootId, 'rootId', 'Tree');
      const afterId = o.afterId ?? 0;
      if (!Number.isSafeInteger(afterId) || afterId < 0)
        throw invalid('afterId', 'afterId is a post id, a whole number 0 or more.');
      await treeRow(id);
      const posts = await rows<{
        id: string | number;
        task_id: string | null;
        round: number;
        kind: BoardPostKind;
        body: string;
        created_at: Date | string;
      }>(
        sql`select id, task_id, round, kind, body, created_at from agent_board_posts
             where root_task_id = ${id} and id > ${afterId} order by id limit ${BOARD_PAGE_LIMIT}`,
      );
      return posts.map(
        (p): BoardPost => ({
          id: Number(p.id),
          agentId: p.task_id,
          round: p.round,
          kind: p.kind,
          body: p.body,
          createdAt: asDate(p.created_at),
        }),
      );
    },

    async post(rootId, p, signal) {
      signal?.throwIfAborted();
      const id = idOf(rootId, 'rootId', 'Tree');
      if (!(BOARD_POST_KINDS as readonly string[]).includes(p?.kind))
        throw invalid('kind', `kind is one of ${BOARD_POST_KINDS.join(', ')}.`);
      if (typeof p.body !== 'string' || p.body.trim() === '' || p.body.length > BOARD_BODY_MAX)
        throw invalid(
          'body',
          `A post's body is a text of 1 to ${BOARD_BODY_MAX.toLocaleString('en-US')} characters.`,
        );
      const round = p.round ?? 1;
      if (!Number.isInteger(round) || round < 1 || round > MAX_ROUNDS_CEILING)
        throw invalid('round', `round is a whole number from 1 to ${MAX_ROUNDS_CEILING}.`);
      const agentId = p.agentId != null ? idOf(p.agentId, 'agentId') : (scope.taskId ?? null);
      // One statement: the tree is this caller's and running, the round within its rounds, the
      // poster one of its agents.
      const [made] = await rows<{ id: string | number; created_at: Date | string }>(
        sql`insert into agent_board_posts (root_task_id, task_id, round, kind, body)
            select tr.root_task_id, ${agentId}::uuid, ${round}, ${p.kind}, ${p.body}
              from task_trees tr
             where tr.root_task_id = ${id} and ${visible('tr')} and tr.status = 'running'
               and (tr.max_rounds is null or ${round}::int <= tr.max_rounds)
               and (${agentId}::uuid is null or exists (
                     select 1 from tasks a where a.id = ${agentId}::uuid and a.root_task_id = tr.root_task_id))
            returning id, created_at`,
      );
      if (made) {
        return {
          id: Number(made.id),
          agentId,
          round,
          kind: p.kind,
          body: p.body,
          createdAt: asDate(made.created_at),
        };
      }
      const tree = await treeRow(id);
      const stopped = stoppedRefusal(tree);
      if (stopped) throw stopped;
      if (tree.max_rounds !== null && round > tree.max_rounds)
        throw new CoordinationError(
          'TREE_LIMIT',
          `The board runs at most ${tree.max_rounds} rounds; round ${round} is past it.`,
          { rootId: id, limit: 'maxRounds', maxRounds: tree.max_rounds, round },
        );
      throw new CoordinationError('NOT_FOUND', `Agent ${agentId} is not an agent of this tree.`, {
        field: 'agentId',
      });
    },
  };
  return queue;
}
