import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { teams } from './teams';

export const SPEND_SCOPES = ['instance', 'team', 'user'] as const;
export const SPEND_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type SpendScope = (typeof SPEND_SCOPES)[number];
export type SpendPeriod = (typeof SPEND_PERIODS)[number];

/**
 * Spend caps in USD, as Anthropic's own gateway has them: per scope (the whole instance, a team,
 * a user within a team) and period (daily, weekly, monthly, on UTC boundaries). The strictest
 * that applies to a task wins. Operators set instance caps and per-team ceilings
 * (`setByOperator`); team admins set team and user caps up to those ceilings.
 */
export const spendCaps = pgTable(
  'spend_caps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    scope: text('scope').$type<SpendScope>().notNull(),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    period: text('period').$type<SpendPeriod>().notNull(),
    usd: numeric('usd', { precision: 14, scale: 4 }).notNull(),
    /** An operator's ceiling: team admins cannot change it, nor set a cap above it. */
    setByOperator: boolean('set_by_operator').notNull().default(false),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('spend_caps_key')
      .on(t.scope, t.teamId, t.userId, t.period, t.setByOperator)
      .nullsNotDistinct(),
    index('spend_caps_team_idx').on(t.teamId),
    check('spend_caps_scope', sql`${t.scope} in ('instance', 'team', 'user')`),
    check('spend_caps_period', sql`${t.period} in ('daily', 'weekly', 'monthly')`),
    check('spend_caps_usd_positive', sql`${t.usd} > 0`),
    check(
      'spend_caps_scope_keys',
      sql`(${t.scope} = 'instance' and ${t.teamId} is null and ${t.userId} is null)
       or (${t.scope} = 'team' and ${t.teamId} is not null and ${t.userId} is null)
       or (${t.scope} = 'user' and ${t.teamId} is not null and ${t.userId} is not null)`,
    ),
  ],
);

/**
 * What was spent, per team, user ('' for none) and UTC day: kept by a statement-level trigger
 * on usage_events in the statement that inserts the usage (only rows really inserted count, so
 * a retry never counts twice). Caps read weeks and months as sums of days.
 */
export const spendDaily = pgTable(
  'spend_daily',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().default(''),
    day: date('day').notNull(),
    usd: numeric('usd', { precision: 20, scale: 10 }).notNull().default('0'),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.userId, t.day] }),
    index('spend_daily_day_idx').on(t.day),
  ],
);
