import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { tasks } from './tasks';
import { teams } from './teams';

export const COORDINATION_STRATEGIES = ['hierarchical', 'mesh'] as const;
export type CoordinationStrategy = (typeof COORDINATION_STRATEGIES)[number];
export const TREE_STATUSES = [
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'budget_exceeded',
] as const;
export type TreeStatus = (typeof TREE_STATUSES)[number];
export const BOARD_POST_KINDS = ['finding', 'vote', 'goal_met', 'note'] as const;
export type BoardPostKind = (typeof BOARD_POST_KINDS)[number];

/**
 * A multi-agent run: a tree of ordinary tasks (`tasks.root_task_id` = this row's root). Its limits
 * are enforced, not advisory — agents in the tree, depth, agents running at once — and its budget
 * (USD and tokens) is one hard limit for every agent in it: `spent_*` is kept by the usage path as
 * each response lands, and an agent that would start (or go on) past it stops with
 * `budget_exceeded`.
 */
export const taskTrees = pgTable(
  'task_trees',
  {
    rootTaskId: uuid('root_task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    strategy: text('strategy').$type<CoordinationStrategy>().notNull().default('hierarchical'),
    /** What the run is for (mesh: the goal the peers work on). */
    goal: text('goal'),
    /** Agents the tree may hold, its root included. */
    maxAgents: integer('max_agents').notNull(),
    /** Deepest level a child may be spawned at (the root is depth 0). */
    maxDepth: integer('max_depth').notNull(),
    /** Agents of the tree running at once. */
    maxConcurrent: integer('max_concurrent').notNull(),
    budgetUsd: numeric('budget_usd', { precision: 14, scale: 6 }),
    budgetTokens: bigint('budget_tokens', { mode: 'number' }),
    /** Mesh: rounds of the board before the run stops. */
    maxRounds: integer('max_rounds'),
    /** Agents spawned so far, the root included (checked against max_agents in the same statement). */
    agents: integer('agents').notNull().default(1),
    spentUsd: numeric('spent_usd', { precision: 16, scale: 10 }).notNull().default('0'),
    spentTokens: bigint('spent_tokens', { mode: 'number' }).notNull().default(0),
    status: text('status').$type<TreeStatus>().notNull().default('running'),
    /** Why the tree stopped (the budget spent, cancelled by whom, the goal met, …). */
    stopReason: text('stop_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('task_trees_team_idx').on(t.teamId, t.createdAt.desc()),
    check('task_trees_strategy', sql`${t.strategy} in ('hierarchical', 'mesh')`),
    check(
      'task_trees_status',
      sql`${t.status} in ('running', 'succeeded', 'failed', 'cancelled', 'budget_exceeded')`,
    ),
    check(
      'task_trees_limits_positive',
      sql`${t.maxAgents} >= 1 and ${t.maxDepth} >= 0 and ${t.maxConcurrent} >= 1`,
    ),
    check('task_trees_budget_positive', sql`${t.budgetUsd} is null or ${t.budgetUsd} > 0`),
    check('task_trees_tokens_positive', sql`${t.budgetTokens} is null or ${t.budgetTokens} > 0`),
  ],
);

/** The shared board of a mesh run: each peer reads it and posts findings, votes, "goal met". */
export const agentBoardPosts = pgTable(
  'agent_board_posts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    rootTaskId: uuid('root_task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /** The agent that posted (null once that task is deleted). */
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    round: integer('round').notNull().default(1),
    kind: text('kind').$type<BoardPostKind>().notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('agent_board_root_idx').on(t.rootTaskId, t.id),
    check('agent_board_kind', sql`${t.kind} in ('finding', 'vote', 'goal_met', 'note')`),
    check('agent_board_body', sql`length(${t.body}) between 1 and 20000`),
  ],
);

/**
 * Messages sent to an agent (`send_input`): the agent's next turn takes them, in order, as user
 * messages; one sent to an agent that has finished queues it again to continue its conversation.
 */
export const taskInputs = pgTable(
  'task_inputs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    message: text('message').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When an attempt of the task took the message into its conversation. */
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (t) => [
    index('task_inputs_pending_idx').on(t.taskId, t.id).where(sql`${t.consumedAt} is null`),
    check('task_inputs_message', sql`length(${t.message}) between 1 and 100000`),
  ],
);

/**
 * Bearer tokens for Baton's MCP server, one team each. Stored as a SHA-256 hash (the token is
 * shown once, when created); `prefix` is its first characters, to tell tokens apart in a list.
 * A token minted by the worker for a Claude Code task (`root_task_id` set) acts only within that
 * task's tree and dies with it.
 */
export const mcpTokens = pgTable(
  'mcp_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** A task-scoped token: the tree it may act in (its agents spawn under this root). */
    rootTaskId: uuid('root_task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    /** The task the token speaks for (spawned agents are its children). */
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('mcp_tokens_hash_key').on(t.tokenHash),
    index('mcp_tokens_team_idx').on(t.teamId, t.createdAt.desc()),
    check('mcp_tokens_name', sql`length(${t.name}) between 1 and 100`),
  ],
);
