/**
 * Usage rollups for the console's analytics: dashboards read these, never the
 * raw `usage_events`. They are kept asynchronously and exactly once by
 * `baton_rollup_usage(max_rows)` (migration `analytics_async_rollup_fn`,
 * called through `rollupUsage` / `startRollupLoop` in `@baton/db/rollup`): in
 * one statement it claims a batch of `usage_events` rows not yet rolled up
 * (`rolled_up = false`, FOR UPDATE SKIP LOCKED, so concurrent callers take
 * disjoint batches), marks them and adds their aggregates here. Ingest is a
 * plain insert; a duplicate usage row (ON CONFLICT DO NOTHING) is never
 * inserted, so it is never counted.
 *
 * The minute/hour/day and error rollups carry no foreign key to teams: at
 * sparse density nearly every usage row inserts a new rollup row, and a
 * per-row RI check (a FOR KEY SHARE lock on the team row, a multixact as soon
 * as two writers share a team) cost more than the insert itself. The trigger
 * only ever copies team ids from usage_events (which has the key), and a
 * statement trigger on teams deletes a deleted team's rollups (migration
 * `analytics_rollup_fast_ingest`), so the cascade is kept.
 *
 * Latency and time-to-first-token percentiles come from fixed histogram
 * buckets (`LATENCY_BUCKET_BOUNDS_MS`): element i counts values below
 * bound i (and at or above bound i-1); the last element counts the rest.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { backendEnum } from './enums';
import { tasks } from './tasks';
import { teams } from './teams';

/** Upper bounds (exclusive, ms) of the histogram buckets; one more bucket holds the rest. */
export const LATENCY_BUCKET_BOUNDS_MS = [
  50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000,
] as const;

export const ROLLUP_GRAINS = ['minute', 'hour', 'day'] as const;
export type RollupGrain = (typeof ROLLUP_GRAINS)[number];

function rollupTable<N extends string>(name: N) {
  return pgTable(
    name,
    {
      bucket: timestamp('bucket', { withTimezone: true }).notNull(),
      /** No foreign key (see the file comment): a trigger on teams deletes the rows. */
      teamId: uuid('team_id').notNull(),
      /** '' when the usage had no user. */
      userId: text('user_id').notNull().default(''),
      model: text('model').notNull(),
      backend: backendEnum('backend').notNull(),
      requests: bigint('requests', { mode: 'number' }).notNull().default(0),
      errors: bigint('errors', { mode: 'number' }).notNull().default(0),
      inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
      outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
      cacheWrite5mTokens: bigint('cache_write_5m_tokens', { mode: 'number' }).notNull().default(0),
      cacheWrite1hTokens: bigint('cache_write_1h_tokens', { mode: 'number' }).notNull().default(0),
      cacheReadTokens: bigint('cache_read_tokens', { mode: 'number' }).notNull().default(0),
      costUsd: numeric('cost_usd', { precision: 24, scale: 10 }).notNull().default('0'),
      latencyCount: bigint('latency_count', { mode: 'number' }).notNull().default(0),
      latencyMsSum: bigint('latency_ms_sum', { mode: 'number' }).notNull().default(0),
      ttftCount: bigint('ttft_count', { mode: 'number' }).notNull().default(0),
      ttftMsSum: bigint('ttft_ms_sum', { mode: 'number' }).notNull().default(0),
      latencyHist: integer('latency_hist').array().notNull().default(sql`'{}'::int[]`),
      ttftHist: integer('ttft_hist').array().notNull().default(sql`'{}'::int[]`),
    },
    (t) => [primaryKey({ columns: [t.teamId, t.bucket, t.model, t.backend, t.userId] })],
  );
}

export const usageRollupMinute = rollupTable('usage_rollup_minute');
export const usageRollupHour = rollupTable('usage_rollup_hour');
export const usageRollupDay = rollupTable('usage_rollup_day');

/** Error responses per error type and hour. */
export const usageErrorRollupHour = pgTable(
  'usage_error_rollup_hour',
  {
    bucket: timestamp('bucket', { withTimezone: true }).notNull(),
    teamId: uuid('team_id').notNull(),
    userId: text('user_id').notNull().default(''),
    model: text('model').notNull(),
    backend: backendEnum('backend').notNull(),
    errorType: text('error_type').notNull(),
    errors: bigint('errors', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({
      columns: [t.teamId, t.bucket, t.errorType, t.model, t.backend, t.userId],
    }),
  ],
);

/** Usage and cost per task (cost-per-task distribution, top tasks by cost). */
export const usageTaskRollup = pgTable(
  'usage_task_rollup',
  {
    taskId: uuid('task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    /** The user and model of the task's first usage. */
    userId: text('user_id').notNull().default(''),
    model: text('model').notNull(),
    backend: backendEnum('backend').notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull().default(0),
    errors: bigint('errors', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    cacheWriteTokens: bigint('cache_write_tokens', { mode: 'number' }).notNull().default(0),
    cacheReadTokens: bigint('cache_read_tokens', { mode: 'number' }).notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 24, scale: 10 }).notNull().default('0'),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
    /**
     * cost_usd / first_at before the latest rollup batch touched the row (null
     * when that batch created it): the rollup moves the task between the
     * buckets of `usage_task_cost_day` exactly, even with concurrent batches.
     */
    prevCostUsd: numeric('prev_cost_usd', { precision: 24, scale: 10 }),
    prevFirstAt: timestamp('prev_first_at', { withTimezone: true }),
  },
  (t) => [
    index('usage_task_rollup_team_first_idx').on(t.teamId, t.firstAt),
    /** Top tasks by cost: walked in cost order, stops after the limit. */
    index('usage_task_rollup_team_cost_idx').on(t.teamId, t.costUsd.desc()),
  ],
);

/** Upper bounds (USD, exclusive) of the cost-per-task buckets; one more bucket holds the rest. */
export const TASK_COST_BOUNDS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;

/**
 * The cost-per-task distribution: tasks (by the day, user, model and backend
 * of their first usage, as in `usage_task_rollup`) per cost bucket
 * (`width_bucket(cost_usd, TASK_COST_BOUNDS)`, 0..10) with their summed cost.
 * When a task's cost grows it moves from one bucket to another (count -1/+1).
 */
export const usageTaskCostDay = pgTable(
  'usage_task_cost_day',
  {
    day: timestamp('day', { withTimezone: true }).notNull(),
    teamId: uuid('team_id').notNull(),
    userId: text('user_id').notNull().default(''),
    model: text('model').notNull(),
    backend: backendEnum('backend').notNull(),
    bucket: integer('bucket').notNull(),
    tasks: bigint('tasks', { mode: 'number' }).notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 24, scale: 10 }).notNull().default('0'),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.day, t.bucket, t.model, t.backend, t.userId] })],
);
