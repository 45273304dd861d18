import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { fromDrizzle } from 'pg-boss';
import { type PgBoss, quotaTier } from './boss';
import type { Database } from './client';
import { JOBS, type RunTaskPayload, runTaskPayload } from './jobs';
import { tasks } from './schema/tasks';

export * from './boss';

export type NewTask = typeof tasks.$inferInsert;

/**
 * Inserts a task and its job in ONE transaction: either both exist or
 * neither does. Returns the task row (with its job id). Both ids are chosen
 * here, so the task row carries its job id from its insert: three statements
 * in the transaction (task, job, commit), no update after the fact.
 */
export async function submitTask(
  db: Database,
  boss: PgBoss,
  input: NewTask & { teamQuota?: number },
  options: { requestedBy?: string } = {},
) {
  const { teamQuota, ...values } = input;
  const id = values.id ?? randomUUID();
  const jobId = randomUUID();
  const payload: RunTaskPayload = runTaskPayload.parse({
    taskId: id,
    teamId: values.teamId,
    requestedBy: options.requestedBy,
  });
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(tasks)
      .values({ ...values, id, jobId })
      .returning();
    if (!row) throw new Error('task insert returned nothing');
    const sent = await boss.send(JOBS.runTask, payload, {
      id: jobId,
      db: fromDrizzle(tx, sql),
      priority: row.priority,
      group: { id: row.teamId, tier: quotaTier(teamQuota ?? 4) },
    });
    if (sent !== jobId) throw new Error(`the queue refused task ${row.id}`);
    return row;
  });
}
