import type pg from 'pg';

export type TerminalStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

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
  cancel_requested_at: Date | null;
  priority: number;
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

/**
 * queued|running → running, counting the attempt. A task already in a
 * terminal state is left alone (returns undefined): its job is a leftover.
 */
export async function beginAttempt(
  pool: pg.Pool,
  taskId: string,
  jobId: string,
): Promise<number | undefined> {
  const { rows } = await pool.query<{ attempts: number }>(
    `update tasks set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
            updated_at = now(), status_reason = null, job_id = $2
      where id = $1 and status in ('queued', 'running')
      returning attempts`,
    [taskId, jobId],
  );
  return rows[0]?.attempts;
}

/** Back to queued (a retry is coming), with the reason. */
export async function requeue(pool: pg.Pool, taskId: string, reason: string): Promise<void> {
  await pool.query(
    `update tasks set status = 'queued', status_reason = $2, updated_at = now()
      where id = $1 and status in ('queued', 'running')`,
    [taskId, reason],
  );
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
  const res = await pool.query(
    `update tasks set status = $2, status_reason = $3, result = coalesce($4, result), error = $5::jsonb,
            finished_at = now(), updated_at = now()
      where id = $1 and status not in ('succeeded', 'failed', 'cancelled', 'timed_out')`,
    [
      taskId,
      status,
      fields.reason ?? null,
      fields.result ?? null,
      fields.error ? JSON.stringify(fields.error) : null,
    ],
  );
  return (res.rowCount ?? 0) > 0;
}
