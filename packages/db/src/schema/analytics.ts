/**
 * Usage rollups for the console's analytics: dashboards read these, never the
 * raw `usage_events`. A statement-level trigger on `usage_events` (migration
 * `analytics_rollup_trigger`) aggregates every inserted batch and upserts it
 * here, so every writer (worker, CLI import, tests) keeps them current, and a
 * duplicate usage row (ON CONFLICT DO NOTHING) is never counted twice: it is
 * not in the statement's transition table.
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
  },
  (t) => [
    index('usage_task_rollup_team_first_idx').on(t.teamId, t.firstAt),
    /** Top tasks by cost: walked in cost order, stops after the limit. */
    index('usage_task_rollup_team_cost_idx').on(t.teamId, t.costUsd.desc()),
  ],
);
