import { randomUUID } from 'node:crypto';
import { getTableColumns, sql } from 'drizzle-orm';
import { fromDrizzle } from 'pg-boss';
import { type PgBoss, queuePriority, quotaTier } from './boss';
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
  // What the task leaves out comes from the team's defaults (budget, timeout, maximum turns),
  // read by the insert itself: no extra round trip.
  const team = values.teamId;
  const taskOptions = (values.options ?? {}) as Record<string, unknown>;
  const defaults = {
    ...(values.budgetUsd == null && {
      budgetUsd: sql`(select t.default_task_budget_usd from teams t where t.id = ${team})`,
    }),
    ...(values.timeoutMs == null && {
      timeoutMs: sql`(select t.default_timeout_ms from teams t where t.id = ${team})`,
    }),
    ...(taskOptions.maxTurns === undefined && {
      options: sql`${JSON.stringify(taskOptions)}::jsonb || coalesce((select jsonb_build_object('maxTurns', t.default_max_turns) from teams t where t.id = ${team} and t.default_max_turns is not null), '{}'::jsonb)`,
    }),
  };
  return db.transaction(async (tx) => {
    // The team's waiting tasks and share weight, read by the insert itself (the subqueries see
    // the table as it was before this row).
    const [inserted] = await tx
      .insert(tasks)
      .values({ ...values, ...defaults, id, jobId })
      .returning({
        ...getTableColumns(tasks),
        waiting: sql<number>`(select count(*)::int from tasks q where q.team_id = ${values.teamId} and q.status = 'queued')`,
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
