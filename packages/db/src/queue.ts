import { randomUUID } from 'node:crypto';
import { getTableColumns, sql } from 'drizzle-orm';
import { fromDrizzle } from 'pg-boss';
import { type PgBoss, QUEUE_RANK_DEPTH, queuePriority, quotaTier } from './boss';
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
    // The team's waiting tasks and share weight, read by the insert itself (the subqueries see
    // the table as it was before this row).
    const [inserted] = await tx
      .insert(tasks)
      .values({ ...values, id, jobId })
      .returning({
        ...getTableColumns(tasks),
        // Counted up to QUEUE_RANK_DEPTH: a flood's insert stays cheap however deep its backlog.
        waiting: sql<number>`(select count(*)::int from (select 1 from tasks q where q.team_id = ${values.teamId} and q.status = 'queued' limit ${QUEUE_RANK_DEPTH}) w)`,
        weight: sql<number>`(select t.share_weight from teams t where t.id = ${values.teamId})`,
      });
    if (!inserted) throw new Error('task insert returned nothing');
    const { waiting, weight, ...row } = inserted;
    const sent = await boss.send(JOBS.runTask, payload, {
      id: jobId,
      db: fromDrizzle(tx, sql),
      priority: queuePriority(row.priority, waiting, weight),
      group: { id: row.teamId, tier: quotaTier(teamQuota ?? 4) },
    });
    if (sent !== jobId) throw new Error(`the queue refused task ${row.id}`);
    return row;
  });
}
