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

const TEAM_QUOTA_LOCK = 728_145_201;

/**
 * queued|running → running, counting the attempt — unless the team already
 * runs as many tasks as its quota allows. pg-boss's group concurrency spreads
 * a team's jobs across workers, but two workers fetching at the same instant
 * can both see a free slot; this check is serialised per team (an advisory
 * transaction lock), so the quota holds exactly. Returns the attempt number,
 * 'over-quota' (try again shortly), or undefined when the task is already
 * finished (its job is a leftover).
 */
export async function beginAttempt(
  pool: pg.Pool,
  taskId: string,
  jobId: string,
  teamId: string,
): Promise<number | 'over-quota' | undefined> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [TEAM_QUOTA_LOCK, teamId]);
    const { rows: quota } = await client.query<{ running: number; quota: number }>(
      `select (select count(*)::int from tasks where team_id = $1 and status = 'running' and id <> $2) as running,
              (select max_concurrent_tasks from teams where id = $1) as quota`,
      [teamId, taskId],
    );
    const q = quota[0];
    if (q && q.quota !== null && q.running >= q.quota) {
      await client.query('rollback');
      return 'over-quota';
    }
    const { rows } = await client.query<{ attempts: number }>(
      `update tasks set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
              updated_at = now(), status_reason = null, job_id = $2
        where id = $1 and status in ('queued', 'running')
        returning attempts`,
      [taskId, jobId],
    );
    await client.query('commit');
    return rows[0]?.attempts;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
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
