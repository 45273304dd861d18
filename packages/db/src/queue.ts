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
 * neither does. Returns the task row (with its job id).
 */
export async function submitTask(
  db: Database,
  boss: PgBoss,
  input: NewTask & { teamQuota?: number },
  options: { requestedBy?: string } = {},
) {
  const { teamQuota, ...values } = input;
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(tasks).values(values).returning();
    if (!row) throw new Error('task insert returned nothing');
    const payload: RunTaskPayload = runTaskPayload.parse({
      taskId: row.id,
      teamId: row.teamId,
      requestedBy: options.requestedBy,
    });
    const jobId = await boss.send(JOBS.runTask, payload, {
      db: fromDrizzle(tx, sql),
      priority: row.priority,
      group: { id: row.teamId, tier: quotaTier(teamQuota ?? 4) },
    });
    if (!jobId) throw new Error(`the queue refused task ${row.id}`);
    const [withJob] = await tx
      .update(tasks)
      .set({ jobId })
      .where(sql`${tasks.id} = ${row.id}`)
      .returning();
    return withJob ?? row;
  });
}
