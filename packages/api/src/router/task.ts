import {
  memberships,
  TASK_STATUSES,
  type TaskStatus,
  taskEvents,
  tasks,
  teams,
} from '@baton/db/schema';
import { and, asc, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../errors';
import { createTRPCRouter, protectedProcedure, teamProcedure } from '../trpc';

const statusSchema = z.enum(TASK_STATUSES);

export const listTasksInput = z.object({
  /** Only tasks in these statuses (all when empty or absent). */
  status: z.array(statusSchema).max(TASK_STATUSES.length).optional(),
  limit: z.number().int().min(1).max(100).default(25),
  /** The id of the last task of the previous page. */
  cursor: z.uuid('Not a valid cursor.').nullish(),
});

/** Columns of a task for lists (no prompt body or result). */
const taskSummary = {
  id: tasks.id,
  teamId: tasks.teamId,
  title: tasks.title,
  kind: tasks.kind,
  backend: tasks.backend,
  model: tasks.model,
  status: tasks.status,
  statusReason: tasks.statusReason,
  priority: tasks.priority,
  attempts: tasks.attempts,
  maxAttempts: tasks.maxAttempts,
  createdBy: tasks.createdBy,
  createdAt: tasks.createdAt,
  startedAt: tasks.startedAt,
  finishedAt: tasks.finishedAt,
  /** First line of the prompt, for tasks without a title. */
  promptPreview: sql<string>`left(${tasks.prompt}, 200)`,
};

export type StatusCounts = Record<TaskStatus, number> & { total: number };

function emptyCounts(): StatusCounts {
  const counts = { total: 0 } as StatusCounts;
  for (const s of TASK_STATUSES) counts[s] = 0;
  return counts;
}

function toCounts(rows: { status: TaskStatus; n: number }[]): StatusCounts {
  const counts = emptyCounts();
  for (const r of rows) {
    counts[r.status] = r.n;
    counts.total += r.n;
  }
  return counts;
}

export const taskRouter = createTRPCRouter({
  /** A team's tasks, newest first, optionally filtered by status; keyset pagination. */
  list: teamProcedure('viewer')
    .input(listTasksInput)
    .query(async ({ ctx, input }) => {
      const where: SQL[] = [eq(tasks.teamId, ctx.team.id)];
      if (input.status?.length) where.push(inArray(tasks.status, input.status));
      if (input.cursor) {
        const [anchor] = await ctx.db
          .select({ id: tasks.id })
          .from(tasks)
          .where(and(eq(tasks.id, input.cursor), eq(tasks.teamId, ctx.team.id)));
        if (!anchor)
          throw new AppError('BAD_REQUEST', 'The cursor is not a task of this team.', {
            field: 'cursor',
          });
        // Row comparison against the anchor's own row keeps full microsecond precision.
        where.push(
          sql`(${tasks.createdAt}, ${tasks.id}) < (select t.created_at, t.id from ${tasks} t where t.id = ${input.cursor})`,
        );
      }
      const rows = await ctx.db
        .select(taskSummary)
        .from(tasks)
        .where(and(...where))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(input.limit + 1);
      const hasMore = rows.length > input.limit;
      const items = hasMore ? rows.slice(0, input.limit) : rows;
      return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
    }),

  /** One task with its events (ordered). */
  byId: teamProcedure('viewer')
    .input(z.object({ taskId: z.uuid('Not a valid task id.') }))
    .query(async ({ ctx, input }) => {
      const [task] = await ctx.db
        .select()
        .from(tasks)
        .where(and(eq(tasks.id, input.taskId), eq(tasks.teamId, ctx.team.id)));
      if (!task) throw new AppError('NOT_FOUND', 'Task not found.', { field: 'taskId' });
      const events = await ctx.db
        .select()
        .from(taskEvents)
        .where(eq(taskEvents.taskId, task.id))
        .orderBy(asc(taskEvents.seq))
        .limit(1000);
      return { task, events };
    }),

  /** How many of a team's tasks are in each status. */
  counts: teamProcedure('viewer').query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({ status: tasks.status, n: count() })
      .from(tasks)
      .where(eq(tasks.teamId, ctx.team.id))
      .groupBy(tasks.status);
    return toCounts(rows);
  }),

  /** Across every team of the signed-in user: counts by status and the latest tasks. */
  overview: protectedProcedure
    .input(z.object({ latest: z.number().int().min(1).max(50).default(8) }).default({ latest: 8 }))
    .query(async ({ ctx, input }) => {
      const mine = and(
        eq(memberships.teamId, tasks.teamId),
        eq(memberships.userId, ctx.session.user.id),
      );
      const rows = await ctx.db
        .select({ status: tasks.status, n: count() })
        .from(tasks)
        .innerJoin(memberships, mine)
        .groupBy(tasks.status);
      const latest = await ctx.db
        .select({ ...taskSummary, teamName: teams.name, teamSlug: teams.slug })
        .from(tasks)
        .innerJoin(memberships, mine)
        .innerJoin(teams, eq(teams.id, tasks.teamId))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(input.latest);
      return { counts: toCounts(rows), latest };
    }),
});
