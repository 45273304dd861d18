import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { backendEnum, sessionStateEnum, taskStatusEnum } from './enums';
import { teams } from './teams';

export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** Parent task of a multi-agent tree; null for a top-level task. */
    parentTaskId: uuid('parent_task_id').references((): AnyPgColumn => tasks.id, {
      onDelete: 'cascade',
    }),
    /**
     * The root of the multi-agent tree this task belongs to (its `task_trees` row). A tree's root
     * has its own id here once a tree is created around it; null means outside any tree, so the
     * lifecycle functions never probe `task_trees` for an ordinary task.
     */
    rootTaskId: uuid('root_task_id').references((): AnyPgColumn => tasks.id, {
      onDelete: 'cascade',
    }),
    /** Depth in its tree: 0 for a root (or a task outside any tree), 1 for its children, … */
    depth: integer('depth').notNull().default(0),
    /** The agent's role in its tree (e.g. "researcher", "reviewer"); null outside a tree. */
    role: text('role'),
    kind: text('kind').notNull().default('prompt'),
    title: text('title'),
    prompt: text('prompt').notNull(),
    backend: backendEnum('backend').notNull().default('api'),
    model: text('model').notNull(),
    fallbackModels: text('fallback_models').array().notNull().default(sql`'{}'::text[]`),
    /** Backend options: working directory, max turns, allowed tools, system prompt, … */
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    status: taskStatusEnum('status').notNull().default('queued'),
    /** Why the task is in its status (e.g. "cancelled by alice", "budget exceeded"). */
    statusReason: text('status_reason'),
    priority: integer('priority').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    budgetUsd: numeric('budget_usd', { precision: 14, scale: 6 }),
    timeoutMs: integer('timeout_ms'),
    result: text('result'),
    error: jsonb('error').$type<{ type: string; message: string; [k: string]: unknown }>(),
    /** The pg-boss job currently carrying this task. */
    jobId: text('job_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
  },
  (t) => [
    index('tasks_team_created_idx').on(t.teamId, t.createdAt.desc()),
    index('tasks_team_status_idx').on(t.teamId, t.status),
    index('tasks_parent_idx').on(t.parentTaskId),
    index('tasks_root_idx').on(t.rootTaskId).where(sql`${t.rootTaskId} is not null`),
    check('tasks_depth_nonnegative', sql`${t.depth} >= 0`),
    check('tasks_priority_range', sql`${t.priority} between -100 and 100`),
    check('tasks_attempts_nonnegative', sql`${t.attempts} >= 0`),
    check('tasks_budget_positive', sql`${t.budgetUsd} is null or ${t.budgetUsd} > 0`),
    check('tasks_prompt_not_empty', sql`length(${t.prompt}) > 0`),
  ],
);

/** Everything that happened in a task, ordered by `seq` within the task. */
export const taskEvents = pgTable(
  'task_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** Which attempt of the task produced the event. */
    attempt: integer('attempt').notNull().default(1),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('task_events_task_seq_key').on(t.taskId, t.seq)],
);

/**
 * A Claude conversation (API message history or Claude Code session) that can resume anywhere.
 *
 * `team_id` and `task_id` reference teams and tasks without foreign keys (migration 0022): every
 * writer takes both from the task's own row in the same statement (the task lifecycle functions,
 * the worker's session store), and a foreign key's check of the team row on each task start
 * (a shared lock on one hot row per team, a MultiXact under concurrency) was most of the start
 * statement's cost. Deleting a team deletes its sessions, deleting a task sets their task_id to
 * null (statement-level triggers, as ON DELETE CASCADE / SET NULL did).
 */
export const claudeSessions = pgTable(
  'claude_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** → teams.id, on delete cascade (trigger). */
    teamId: uuid('team_id').notNull(),
    /** → tasks.id, on delete set null (trigger). */
    taskId: uuid('task_id'),
    backend: backendEnum('backend').notNull(),
    /** Claude Code's session id, or our conversation id for the API backend. */
    providerSessionId: text('provider_session_id'),
    /**
     * active: the task's attempt is running (written by `baton_task_start`); idle: the attempt
     * ended and the task runs again (the conversation resumes); closed / failed: the task ended
     * (packages/db/sql/task_lifecycle.sql, `baton_session_state`). Only a worker says active.
     */
    state: sessionStateEnum('state').notNull().default('idle'),
    model: text('model').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    messageCount: integer('message_count').notNull().default(0),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    contextSummary: text('context_summary'),
    /** Serialized conversation state needed to resume (message history for the API backend). */
    stateBlob: jsonb('state_blob').$type<unknown>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('claude_sessions_provider_key').on(t.backend, t.providerSessionId),
    index('claude_sessions_team_idx').on(t.teamId, t.lastUsedAt.desc()),
    // The few sessions running now: the Live page's list and the heartbeat's reaping.
    index('claude_sessions_active_idx').on(t.teamId).where(sql`${t.state} = 'active'`),
  ],
);
