import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One circuit breaker as a worker last saw it. */
export interface WorkerBreakerState {
  provider: string;
  model: string;
  state: 'closed' | 'open' | 'half-open' | 'isolated';
}

/** The worker's session pool: leases in use (one per running task) of `max`; idle/waiting when reported. */
export interface WorkerPoolState {
  active: number;
  idle?: number;
  waiting?: number;
  max?: number;
  hits?: number;
  misses?: number;
  evictions?: number;
}

/** How a worker confines claude-code tasks, as its heartbeat reports it. */
export interface WorkerSandboxState {
  /** required: tasks run only confined; off: BATON_SANDBOX=off (a developer's machine). */
  mode: 'required' | 'off';
  /** Whether a sandbox can start on the worker (always false when off). */
  ok: boolean;
  /** Why not, or what is not enforced. */
  reason?: string;
  /** cgroup2 | cgroup1 | rlimit */
  resources?: string;
  version?: string;
}

/**
 * Worker heartbeats: every worker upserts its row every few seconds with its
 * health snapshot (breaker states per provider/model, session pool use,
 * running tasks). The console's Live page reads it; a row whose `lastSeenAt`
 * is old belongs to a worker that stopped or lost the database.
 */
export const workerHeartbeats = pgTable(
  'worker_heartbeats',
  {
    /** The worker id (`WORKER_ID`, default hostname-pid); also its pg application_name suffix. */
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set by a clean shutdown. */
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    concurrency: integer('concurrency').notNull().default(0),
    running: integer('running').notNull().default(0),
    breakers: jsonb('breakers').$type<WorkerBreakerState[]>().notNull().default([]),
    pool: jsonb('pool').$type<WorkerPoolState | null>(),
    /** Sandbox mode and health (claude-code tasks); null from workers older than it. */
    sandbox: jsonb('sandbox').$type<WorkerSandboxState | null>(),
  },
  (t) => [index('worker_heartbeats_last_seen_idx').on(t.lastSeenAt.desc())],
);
