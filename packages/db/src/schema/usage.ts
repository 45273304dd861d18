import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { alertMetricEnum, alertStateEnum, backendEnum, usageStatusEnum } from './enums';
import { spendCaps } from './spend';
import { teams } from './teams';

/**
 * One row per model response. `(provider_request_id, message_id)` is unique, so
 * recording the same response twice (a retry, a re-run, a replayed batch) is a
 * no-op: insert with ON CONFLICT DO NOTHING (`insertUsage` in `../usage.ts`).
 *
 * `team_id`, `task_id`, `user_id` and `session_id` reference teams, tasks,
 * users and claude_sessions without foreign keys: statement-level triggers
 * (migration `usage_refs_by_statement`) check and lock each distinct key of an
 * insert once (FOR KEY SHARE, 23503 with the old constraint name when missing)
 * and keep ON DELETE CASCADE (teams) / SET NULL (tasks, users, sessions). A
 * foreign key checks every row on its own, which cost half of the insert.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    providerRequestId: text('provider_request_id').notNull(),
    /** The response's message id; '' for an error response that carried none. */
    messageId: text('message_id').notNull().default(''),
    /** → tasks.id, on delete set null (trigger, see above). */
    taskId: uuid('task_id'),
    /** → claude_sessions.id, on delete set null (trigger). */
    sessionId: uuid('session_id'),
    /** → teams.id, on delete cascade (trigger). */
    teamId: uuid('team_id').notNull(),
    /** → users.id, on delete set null (trigger). */
    userId: text('user_id'),
    provider: text('provider').notNull().default('anthropic'),
    backend: backendEnum('backend').notNull().default('api'),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheWrite5mTokens: integer('cache_write_5m_tokens').notNull().default(0),
    cacheWrite1hTokens: integer('cache_write_1h_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    /** Exact cost in USD (numeric, never floating point). */
    costUsd: numeric('cost_usd', { precision: 20, scale: 10 }).notNull().default('0'),
    latencyMs: integer('latency_ms'),
    ttftMs: integer('ttft_ms'),
    status: usageStatusEnum('status').notNull().default('ok'),
    errorType: text('error_type'),
    /**
     * The response ended before its final usage (cancelled, cut off): `output_tokens` counts the
     * output streamed so far, an estimate; input and cache tokens are the provider's own.
     */
    outputEstimated: boolean('output_estimated').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Set by `baton_rollup_usage()` (packages/db/src/rollup.ts) once the row is
     * counted in the analytics rollups: each row is rolled up exactly once.
     */
    rolledUp: boolean('rolled_up').notNull().default(false),
  },
  (t) => [
    /** The rollup's backlog, claimed in id order. */
    index('usage_events_not_rolled_up_idx').on(t.id).where(sql`not ${t.rolledUp}`),
    uniqueIndex('usage_events_request_message_key').on(t.providerRequestId, t.messageId),
    index('usage_events_team_created_idx').on(t.teamId, t.createdAt),
    index('usage_events_task_idx').on(t.taskId),
    check(
      'usage_events_tokens_nonnegative',
      sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and ${t.cacheWrite5mTokens} >= 0 and ${t.cacheWrite1hTokens} >= 0 and ${t.cacheReadTokens} >= 0`,
    ),
    check('usage_events_cost_nonnegative', sql`${t.costUsd} >= 0`),
  ],
);

/**
 * Per-million-token prices. A model's price at time T is the row whose
 * `model_pattern` matches (a glob: `*` for any characters) with the latest
 * `valid_from <= T`; the most specific pattern (longest) wins ties.
 */
export const prices = pgTable(
  'prices',
  {
    id: serial('id').primaryKey(),
    modelPattern: text('model_pattern').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    inputPerMtok: numeric('input_per_mtok', { precision: 12, scale: 6 }).notNull(),
    cacheWrite5mPerMtok: numeric('cache_write_5m_per_mtok', { precision: 12, scale: 6 }).notNull(),
    cacheWrite1hPerMtok: numeric('cache_write_1h_per_mtok', { precision: 12, scale: 6 }).notNull(),
    cacheReadPerMtok: numeric('cache_read_per_mtok', { precision: 12, scale: 6 }).notNull(),
    outputPerMtok: numeric('output_per_mtok', { precision: 12, scale: 6 }).notNull(),
    /** Multiplier applied to batch requests (0.5 = half price). */
    batchMultiplier: numeric('batch_multiplier', { precision: 6, scale: 4 })
      .notNull()
      .default('0.5'),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('prices_pattern_valid_from_key').on(t.modelPattern, t.validFrom)],
);

export const alertRules = pgTable(
  'alert_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    metric: alertMetricEnum('metric').notNull(),
    /** Fires when the metric is above (`gt`) or below (`lt`) the threshold. */
    comparator: text('comparator').notNull().default('gt'),
    threshold: numeric('threshold', { precision: 20, scale: 6 }).notNull(),
    windowMinutes: integer('window_minutes').notNull().default(60),
    enabled: boolean('enabled').notNull().default(true),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('alert_rules_team_idx').on(t.teamId),
    check('alert_rules_comparator', sql`${t.comparator} in ('gt', 'lt')`),
    check('alert_rules_window_positive', sql`${t.windowMinutes} > 0`),
  ],
);

export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The rule that fired, or — for a spend-cap alert — none. */
    ruleId: uuid('rule_id').references(() => alertRules.id, { onDelete: 'cascade' }),
    /** A spend cap at 75 % or 95 % of its period (at most once per cap, threshold and period). */
    capId: uuid('cap_id').references(() => spendCaps.id, { onDelete: 'cascade' }),
    thresholdPct: integer('threshold_pct'),
    periodStart: timestamp('period_start', { withTimezone: true }),
    /** Null for an instance cap's alert (operators see it). */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    value: numeric('value', { precision: 20, scale: 6 }).notNull(),
    message: text('message').notNull(),
    state: alertStateEnum('state').notNull().default('open'),
    triggeredAt: timestamp('triggered_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    index('alerts_team_triggered_idx').on(t.teamId, t.triggeredAt.desc()),
    // At most one open alert per rule: concurrent evaluators cannot open a second one.
    uniqueIndex('alerts_one_open_per_rule').on(t.ruleId).where(sql`${t.state} = 'open'`),
    uniqueIndex('alerts_cap_once_per_period')
      .on(t.capId, t.thresholdPct, t.periodStart)
      .where(sql`${t.capId} is not null`),
    check(
      'alerts_rule_or_cap',
      sql`(${t.ruleId} is not null and ${t.capId} is null and ${t.teamId} is not null) or (${t.ruleId} is null and ${t.capId} is not null)`,
    ),
  ],
);
