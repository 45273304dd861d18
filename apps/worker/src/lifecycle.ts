import { type UsageRow, usageInsert } from '@baton/db/usage';
import type pg from 'pg';

export type TerminalStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'budget_exceeded';

export interface TaskRow {
  id: string;
  team_id: string;
  created_by: string | null;
  prompt: string;
  backend: 'api' | 'claude-code';
  model: string;
  fallback_models: string[];
  options: Record<string, unknown>;
  status: string;
  attempts: number;
  max_attempts: number;
  budget_usd: string | null;
  timeout_ms: number | null;
  cancel_requested_at: Date | string | null;
  priority: number;
  /** claude-code tasks: the team's tools and permission mode, the instance's resource limits. */
  sandbox?: {
    tools: string[] | null;
    permission_mode: string | null;
    limits: { memory_mb: number; max_processes: number; cpu_seconds: number; disk_mb: number };
  };
  /** claude-code tasks: the team repository `options.repositoryId` names (null: none, or gone). */
  repository?: { id: string; name: string; source: string; default_ref: string } | null;
  /** The team's own provider key, encrypted (decrypted by the worker with BATON_SECRET). */
  credential?: { ciphertext: string; aad: string } | null;
  /** Whether a team without a key of its own may use the instance's. */
  allow_instance_key?: boolean;
  /** The team's share of the workers and rate limits (fair queueing weight). */
  share_weight?: number;
  /**
   * Whether a spend cap or its agent tree's budget applies to the task (its usage is then written
   * response by response).
   */
  capped?: boolean;
  /** The agent tree the task is in (its root's id; the root's own id for the root), null outside any. */
  root_task_id?: string | null;
  /** An agent's inputs (send_input) this attempt took, oldest first: its next user messages. */
  inputs?: { id: number; message: string }[];
}

export async function loadTask(pool: pg.Pool, taskId: string): Promise<TaskRow | undefined> {
  const { rows } = await pool.query<TaskRow>(
    `select id, team_id, created_by, prompt, backend, model, fallback_models, options, status, attempts,
            max_attempts, budget_usd::text as budget_usd, timeout_ms, cancel_requested_at, priority
       from tasks where id = $1`,
    [taskId],
  );
  return rows[0];
}

/** What `startTask` did. */
export type StartOutcome =
  /** Running: `attempt` counted, its `attempt_started` event written at `lastSeq`. */
  | { outcome: 'started'; task: TaskRow; attempt: number; lastSeq: number; session: unknown }
  /** The team runs as many tasks as its quota allows: try again shortly. */
  | { outcome: 'over-quota'; task: TaskRow }
  /** Its cancellation was requested before it started: now cancelled. */
  | { outcome: 'cancelled'; task: TaskRow }
  /** A spend cap that applies is reached: now budget_exceeded, the cap in its reason. */
  | { outcome: 'budget-exceeded'; task: TaskRow }
  /** Already in a terminal state (the job is a leftover). */
  | { outcome: 'finished'; task: TaskRow }
  | { outcome: 'missing' };

/**
 * Starts an attempt in one statement (`baton_task_start`, packages/db/sql/task_lifecycle.sql): loads the
 * task; cancels it if its cancellation was requested; checks the team quota — serialised
 * per team by an advisory transaction lock, so the quota holds exactly even when pg-boss
 * hands two workers the last slot at the same instant; marks it running (queued|running →
 * running, attempts+1); appends its `attempt_started` event; and returns the conversation
 * saved by an earlier attempt, if any — and for a claude-code task its sandbox policy and team
 * repository, read in the same statement.
 */
export async function startTask(
  pool: pg.Pool,
  taskId: string,
  jobId: string,
  jobRetry = 0,
): Promise<StartOutcome> {
  const { rows } = await pool.query<{
    outcome: StartOutcome['outcome'];
    attempt: number | null;
    last_seq: number | null;
    session: unknown;
    task: TaskRow | null;
  }>({
    name: 'baton_task_start',
    text: 'select * from baton_task_start($1, $2, $3)',
    values: [taskId, jobId, jobRetry],
  });
  const r = rows[0];
  if (!r?.task || r.outcome === 'missing') return { outcome: 'missing' };
  if (r.outcome === 'started') {
    return {
      outcome: 'started',
      task: r.task,
      attempt: r.attempt as number,
      lastSeq: r.last_seq as number,
      session: r.session,
    };
  }
  return { outcome: r.outcome, task: r.task };
}

/**
 * queued|running → running, counting the attempt — unless the team already runs as many
 * tasks as its quota allows. Returns the attempt number, 'over-quota' (try again shortly),
 * or undefined when the task did not start (finished, cancelled or gone).
 */
export async function beginAttempt(
  pool: pg.Pool,
  taskId: string,
  jobId: string,
  _teamId?: string,
): Promise<number | 'over-quota' | undefined> {
  const s = await startTask(pool, taskId, jobId);
  if (s.outcome === 'started') return s.attempt;
  if (s.outcome === 'over-quota') return 'over-quota';
  return undefined;
}

/** An event not yet written, as `baton_task_settle` takes it. */
export interface EventRow {
  seq: number;
  attempt: number;
  type: string;
  data: Record<string, unknown>;
  at: Date;
}

/** A conversation to save with the task's state, as `baton_task_settle` takes it. */
export interface SessionRow {
  backend: 'api' | 'claude-code';
  model: string;
  config: unknown;
  messageCount: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  summary: string | null;
  /** The state blob, serialised. */
  stateJson: string;
}

/** The row as `baton_task_settle`'s `p_session` (the state blob spliced in, not re-serialised). */
function sessionJson(s: SessionRow): string {
  const { stateJson, ...rest } = s;
  return `${JSON.stringify(rest).slice(0, -1)},"state":${stateJson}}`;
}

export interface SettleFields {
  reason?: string | null;
  result?: string | null;
  error?: { type: string; message: string; [k: string]: unknown } | null;
  /** The attempt's events not written yet. */
  events?: EventRow[];
  /** The task's conversation, saved in the same statement. */
  session?: SessionRow;
  /** Usage not written yet, inserted (idempotently) in the same statement. */
  usage?: UsageRow[];
  /**
   * The attempt settling: when it is no longer the task's latest (a stalled worker, the task
   * started again elsewhere) nothing but the usage is written and the result is false.
   */
  attempt?: number;
}

/**
 * Settles an attempt in one statement (`baton_task_settle`): writes its remaining events
 * and its session, then the status — a terminal one exactly once (the first caller wins,
 * a later one — a duplicate job, a racing cancel — changes nothing), or `queued` for a
 * retry — and wakes consoles streaming the task. Returns whether the status changed.
 */
export async function settleTask(
  pool: pg.Pool | pg.PoolClient,
  taskId: string,
  status: TerminalStatus | 'queued' | null,
  fields: SettleFields = {},
): Promise<boolean> {
  const values: unknown[] = [
    taskId,
    status,
    fields.reason ?? null,
    fields.result ?? null,
    fields.error ? JSON.stringify(fields.error) : null,
    fields.events?.length ? JSON.stringify(fields.events) : null,
    fields.session ? sessionJson(fields.session) : null,
    fields.attempt ?? null,
  ];
  const settle = 'baton_task_settle($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::int)';
  if (!fields.usage?.length) {
    const { rows } = await pool.query<{ made: boolean }>({
      name: 'baton_task_settle',
      text: `select ${settle} as made`,
      values,
    });
    return rows[0]?.made === true;
  }
  // The usage rows ride along as a data-modifying WITH: one round trip, one transaction, so
  // they are durable exactly when the new status is (its uniqueness keeps a retry from
  // counting them twice).
  const usage = usageInsert(fields.usage, values.length + 1);
  const { rows } = await pool.query<{ made: boolean }>({
    name: 'baton_task_settle_usage',
    text: `with usage as (${usage.text}) select ${settle} as made`,
    values: [...values, ...usage.values],
  });
  return rows[0]?.made === true;
}

/** Back to queued (a retry is coming), with the reason. */
export async function requeue(pool: pg.Pool, taskId: string, reason: string): Promise<void> {
  await settleTask(pool, taskId, 'queued', { reason });
}

/**
 * Writes the terminal state exactly once: the first caller wins, any later
 * one (a duplicate job, a racing cancel) changes nothing. Returns whether
 * this call made the transition.
 */
export async function finish(
  pool: pg.Pool,
  taskId: string,
  status: TerminalStatus,
  fields: {
    reason?: string;
    result?: string | null;
    error?: { type: string; message: string; [k: string]: unknown } | null;
  },
): Promise<boolean> {
  return settleTask(pool, taskId, status, fields);
}
