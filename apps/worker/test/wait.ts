import { TERMINAL_TASK_STATUSES } from '@baton/db/schema';
import type pg from 'pg';

/** The task states a task never leaves. */
export const TERMINAL: string[] = [...TERMINAL_TASK_STATUSES];

/**
 * Polls `fn` every 100 ms until it returns something other than `undefined`
 * or `false`. A throw counts as "not yet" (the database may be restarting);
 * the last one is named if the wait times out.
 */
export async function waitUntil<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TerminalTask {
  status: string;
  status_reason: string | null;
  attempts: number;
  result: string | null;
  error: { type: string; message?: string; [k: string]: unknown } | null;
}

/** Waits for a task to reach a terminal state and returns its row. */
export function terminalTask(
  pool: Pick<pg.Pool, 'query'>,
  id: string,
  timeoutMs = 60_000,
): Promise<TerminalTask> {
  return waitUntil(
    async () => {
      const { rows } = await pool.query<TerminalTask>(
        `select status, status_reason, attempts, result, error from tasks
          where id = $1 and status = any($2::task_status[])`,
        [id, TERMINAL],
      );
      return rows[0];
    },
    timeoutMs,
    `task ${id} to finish`,
  );
}
