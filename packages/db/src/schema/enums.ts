import { pgEnum } from 'drizzle-orm/pg-core';

export const roleEnum = pgEnum('role', ['owner', 'admin', 'member', 'viewer']);
export const backendEnum = pgEnum('backend', ['api', 'claude-code']);
export const taskStatusEnum = pgEnum('task_status', [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  /** Stopped (or never started) because a spend cap was reached. */
  'budget_exceeded',
]);
export const sessionStateEnum = pgEnum('session_state', ['active', 'idle', 'closed', 'failed']);
export const usageStatusEnum = pgEnum('usage_status', ['ok', 'error']);
export const alertMetricEnum = pgEnum('alert_metric', [
  'cost_per_day_usd',
  'error_rate',
  'projected_block_tokens',
  'queue_depth',
  'rate_limit_remaining_ratio',
]);
export const alertStateEnum = pgEnum('alert_state', ['open', 'resolved']);

export const ROLES = roleEnum.enumValues;
export const BACKENDS = backendEnum.enumValues;
export const TASK_STATUSES = taskStatusEnum.enumValues;
export const TERMINAL_TASK_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'budget_exceeded',
] as const;

export type Role = (typeof ROLES)[number];
export type Backend = (typeof BACKENDS)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
