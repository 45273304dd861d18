import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { roleEnum } from './enums';

export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    /** Maximum tasks of this team running at once across the whole fleet. */
    maxConcurrentTasks: integer('max_concurrent_tasks').notNull().default(4),
    /** The highest concurrency quota the team's admins may set (an operator setting). */
    maxConcurrentCeiling: integer('max_concurrent_ceiling').notNull().default(8),
    /**
     * Whether the team's tasks may use the instance's provider key when the team has none of
     * its own (an operator setting; on for the demo team on embedded defaults).
     */
    allowInstanceKey: boolean('allow_instance_key').notNull().default(false),
    /** Share of the workers and the rate limits against other teams (an operator setting). */
    shareWeight: integer('share_weight').notNull().default(1),
    /**
     * Tools claude-code tasks of this team may use (a task may narrow the list, never widen it);
     * null: @baton/core's default (Read, Write, Edit, Glob, Grep, Bash inside the sandbox).
     */
    claudeCodeTools: text('claude_code_tools').array(),
    /** Claude Code's permission mode for the team's tasks; null: acceptEdits. */
    claudeCodePermissionMode: text('claude_code_permission_mode'),
    /** A task's budget (USD) when it names none; null: no budget. Applied by the task insert. */
    defaultTaskBudgetUsd: numeric('default_task_budget_usd', { precision: 14, scale: 6 }),
    /** A task's maximum turns when it names none; null: the backend's default. */
    defaultMaxTurns: integer('default_max_turns'),
    /** A task's timeout (ms) when it names none; null: the worker's default (30 min). */
    defaultTimeoutMs: integer('default_timeout_ms'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('teams_slug_key').on(t.slug),
    check('teams_slug_format', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('teams_max_concurrent_positive', sql`${t.maxConcurrentTasks} > 0`),
    check('teams_share_weight_range', sql`${t.shareWeight} between 1 and 100`),
    check('teams_max_concurrent_ceiling_positive', sql`${t.maxConcurrentCeiling} > 0`),
    check(
      'teams_default_task_budget_positive',
      sql`${t.defaultTaskBudgetUsd} is null or ${t.defaultTaskBudgetUsd} > 0`,
    ),
    check(
      'teams_default_max_turns_range',
      sql`${t.defaultMaxTurns} is null or ${t.defaultMaxTurns} between 1 and 1000`,
    ),
    check(
      'teams_default_timeout_range',
      sql`${t.defaultTimeoutMs} is null or ${t.defaultTimeoutMs} between 1000 and 86400000`,
    ),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: roleEnum('role').notNull().default('member'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
  ],
);

export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    role: roleEnum('role').notNull().default('member'),
    /** SHA-256 of the invitation token; the token itself only ever lives in the link. */
    tokenHash: text('token_hash').notNull(),
    email: text('email'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedBy: text('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    /** Set when an admin revokes the link; a revoked invitation can no longer be accepted. */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_key').on(t.tokenHash),
    index('invitations_team_idx').on(t.teamId),
  ],
);

/**
 * Provider credentials (e.g. an Anthropic API key). Only ciphertext is stored:
 * AES-256-GCM under a key derived from BATON_SECRET; the console shows the
 * fingerprint, never the key.
 */
export const providerCredentials = pgTable(
  'provider_credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull().default('anthropic'),
    label: text('label').notNull(),
    ciphertext: text('ciphertext').notNull(),
    /** Short, non-reversible identification, e.g. "sk-ant-…a1b2 · 3f9c0d". */
    fingerprint: text('fingerprint').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('provider_credentials_team_label_key').on(t.teamId, t.provider, t.label)],
);
