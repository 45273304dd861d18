import { effectiveTools, permissionModeOf } from '@baton/core';
import { redriveTask, requestCancel, submitTask } from '@baton/db/queue';
import {
  BACKENDS,
  memberships,
  TASK_STATUSES,
  type TaskStatus,
  TERMINAL_TASK_STATUSES,
  taskEvents,
  tasks,
  taskWorkspaces,
  teams,
  usageEvents,
  users,
} from '@baton/db/schema';
import { tracked } from '@trpc/server';
import {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  gte,
  ilike,
  inArray,
  lt,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import { z } from 'zod';
import { createPgTaskQueue } from '../agents';
import { assertTaskMayRun } from '../budget';
import { AppError } from '../errors';
import { prepareTaskSubmission, submitTaskInput } from '../submission';
import { createWaker, listenTask } from '../task-events';
import { type Context, createTRPCRouter, protectedProcedure, teamProcedure } from '../trpc';

const statusSchema = z.enum(TASK_STATUSES);

export const listTasksInput = z.object({
  /** Only tasks in these statuses (all when empty or absent). */
  status: z.array(statusSchema).max(TASK_STATUSES.length).optional(),
  backend: z.array(z.enum(BACKENDS)).max(BACKENDS.length).optional(),
  /** Exact model id. */
  model: z.string().trim().min(1, 'Enter a model id.').max(200).optional(),
  /** Tasks created by this user id. */
  createdBy: z.string().min(1).max(200).optional(),
  /** Created at or after. */
  from: z.date('Not a valid date.').optional(),
  /** Created before. */
  to: z.date('Not a valid date.').optional(),
  /** Matches the title or prompt (case-insensitive), or a task id prefix. */
  search: z.string().trim().max(200, 'Keep the search to 200 characters.').optional(),
  limit: z.number().int().min(1).max(100).default(25),
  /** The id of the last task of the previous page. */
  cursor: z.uuid('Not a valid cursor.').nullish(),
});

const taskIdInput = z.object({ taskId: z.uuid('Not a valid task id.') });

async function taskOfTeam(ctx: Pick<Context, 'db'>, teamId: string, taskId: string) {
  const [task] = await ctx.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, taskId), eq(tasks.teamId, teamId)));
  if (!task) throw new AppError('NOT_FOUND', 'Task not found.', { field: 'taskId' });
  return task;
}

/** The largest event number (`task_events.seq` is a PostgreSQL integer). */
const SEQ_MAX = 2_147_483_647;

/** How often `task.watch` polls when no notification woke it (and re-checks membership). */
export const WATCH_POLL_MS = 2_000;

/**
 * The task, read only while `userId` is still a member of its team (one statement): FORBIDDEN
 * once they were removed — how a live subscription ends for a removed member — and NOT_FOUND
 * when the task is gone.
 */
async function taskForMember(
  ctx: Pick<Context, 'db'>,
  teamId: string,
  taskId: string,
  userId: string,
) {
  const [row] = await ctx.db
    .select({ task: tasks, member: sql<boolean>`${memberships.userId} is not null` })
    .from(tasks)
    .leftJoin(
      memberships,
      and(eq(memberships.teamId, tasks.teamId), eq(memberships.userId, userId)),
    )
    .where(and(eq(tasks.id, taskId), eq(tasks.teamId, teamId)));
  if (row && !row.member)
    throw new AppError(
      'FORBIDDEN',
      'You are no longer a member of this team: the live view of this task has ended.',
      { reason: 'membership_ended' },
    );
  if (!row) throw new AppError('NOT_FOUND', 'Task not found.', { field: 'taskId' });
  return row.task;
}

/** Usage and cost of one task so far (exact decimal string for cost). */
async function taskUsage(ctx: Pick<Context, 'db'>, taskId: string) {
  const [row] = await ctx.db
    .select({
      requests: sql<number>`count(*)::int`,
      errors: sql<number>`count(*) filter (where ${usageEvents.status} = 'error')::int`,
      /** Responses cut off before their final usage, whose output tokens are estimated. */
      estimated: sql<number>`count(*) filter (where ${usageEvents.outputEstimated})::int`,
      inputTokens: sql<number>`coalesce(sum(${usageEvents.inputTokens}), 0)::bigint`.mapWith(
        Number,
      ),
      outputTokens: sql<number>`coalesce(sum(${usageEvents.outputTokens}), 0)::bigint`.mapWith(
        Number,
      ),
      cacheWriteTokens:
        sql<number>`coalesce(sum(${usageEvents.cacheWrite5mTokens} + ${usageEvents.cacheWrite1hTokens}), 0)::bigint`.mapWith(
          Number,
        ),
      cacheReadTokens:
        sql<number>`coalesce(sum(${usageEvents.cacheReadTokens}), 0)::bigint`.mapWith(Number),
      costUsd: sql<string>`coalesce(sum(${usageEvents.costUsd}), 0)::numeric(20,6)::text`,
    })
    .from(usageEvents)
    .where(eq(usageEvents.taskId, taskId));
  return row!;
}

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
      if (input.backend?.length) where.push(inArray(tasks.backend, input.backend));
      if (input.model) where.push(eq(tasks.model, input.model));
      if (input.createdBy) where.push(eq(tasks.createdBy, input.createdBy));
      if (input.from) where.push(gte(tasks.createdAt, input.from));
      if (input.to) where.push(lt(tasks.createdAt, input.to));
      if (input.search) {
        const like = `%${input.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const terms = [ilike(tasks.title, like), ilike(tasks.prompt, like)];
        if (/^[0-9a-f-]{4,36}$/i.test(input.search)) {
          terms.push(sql`${tasks.id}::text like ${`${input.search.toLowerCase()}%`}`);
        }
        where.push(or(...terms)!);
      }
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
        .select({ ...taskSummary, createdByName: users.name })
        .from(tasks)
        .leftJoin(users, eq(users.id, tasks.createdBy))
        .where(and(...where))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(input.limit + 1);
      const hasMore = rows.length > input.limit;
      const items = hasMore ? rows.slice(0, input.limit) : rows;
      return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
    }),

  /** Models and creators seen in the team's tasks (for filter menus). */
  facets: teamProcedure('viewer').query(async ({ ctx }) => {
    const models = await ctx.db
      .selectDistinct({ model: tasks.model })
      .from(tasks)
      .where(eq(tasks.teamId, ctx.team.id))
      .orderBy(asc(tasks.model))
      .limit(200);
    const creators = await ctx.db
      .select({ id: users.id, name: users.name, email: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.teamId, ctx.team.id))
      .orderBy(asc(users.name));
    return { models: models.map((m) => m.model), users: creators };
  }),

  /**
   * Submits a task (member or higher): validated by `prepareTaskSubmission` (the CLI's too),
   * then the task row and its job in one transaction.
   */
  submit: teamProcedure('member')
    .input(submitTaskInput)
    .mutation(async ({ ctx, input, signal }) => {
      const prepared = await prepareTaskSubmission(ctx.db, ctx.team, input, {
        createdBy: ctx.session.user.id,
        repoRoots: ctx.repoRoots,
        config: ctx.config,
        signal,
      });
      const boss = await ctx.boss();
      const task = await submitTask(ctx.db, boss, prepared, {
        requestedBy: ctx.session.user.id,
      });
      return { id: task.id, status: task.status };
    }),

  /**
   * Asks to cancel a queued or running task (member or higher). An agent of a multi-agent run
   * takes its descendants with it (the root: its whole tree, which then takes no new agents).
   */
  cancel: teamProcedure('member')
    .input(taskIdInput)
    .mutation(async ({ ctx, input }) => {
      const task = await taskOfTeam(ctx, ctx.team.id, input.taskId);
      const reason = `cancelled by ${ctx.session.user.name || ctx.session.user.email}`;
      if (task.rootTaskId !== null) {
        if ((TERMINAL_TASK_STATUSES as readonly string[]).includes(task.status))
          throw new AppError('CONFLICT', 'The task has already finished.', { field: 'taskId' });
        const queue = createPgTaskQueue(
          { db: ctx.db, pool: ctx.pool, boss: ctx.boss },
          { teamId: ctx.team.id, userId: ctx.session.user.id },
        );
        const { cancelled } = await queue.cancel(task.id, reason);
        return {
          outcome: task.status === 'queued' ? ('cancelled' as const) : ('requested' as const),
          agents: cancelled,
        };
      }
      const outcome = await requestCancel(ctx.pool, input.taskId, reason);
      if (outcome === 'already-finished') {
        throw new AppError('CONFLICT', 'The task has already finished.', { field: 'taskId' });
      }
      if (outcome === 'not-found')
        throw new AppError('NOT_FOUND', 'Task not found.', { field: 'taskId' });
      return { outcome };
    }),

  /**
   * Re-runs a failed, cancelled, timed-out or budget-exceeded task (member or higher), refused
   * like a submission when its caps are reached (BUDGET_EXCEEDED) or the team may use no key.
   */
  retry: teamProcedure('member')
    .input(taskIdInput)
    .mutation(async ({ ctx, input }) => {
      const task = await taskOfTeam(ctx, ctx.team.id, input.taskId);
      if (task.status !== 'queued' && task.status !== 'running' && task.status !== 'succeeded')
        await assertTaskMayRun(ctx.db, ctx.team, task.createdBy);
      const boss = await ctx.boss();
      const result = await redriveTask(ctx.pool, boss, input.taskId, {
        requestedBy: ctx.session.user.name || ctx.session.user.email,
        teamQuota: ctx.team.maxConcurrentTasks,
      });
      if (result.status === 'requeued') return { status: 'queued' as const };
      const messages = {
        'not-found': 'Task not found.',
        'not-finished': 'The task is still queued or running.',
        succeeded: 'The task succeeded; submit a new one instead.',
      } as const;
      throw new AppError(
        result.status === 'not-found' ? 'NOT_FOUND' : 'CONFLICT',
        messages[result.status],
        {
          field: 'taskId',
        },
      );
    }),

  /** The tree of child tasks below a task (multi-agent runs), depth-first order. */
  children: teamProcedure('viewer')
    .input(taskIdInput)
    .query(async ({ ctx, input }) => {
      await taskOfTeam(ctx, ctx.team.id, input.taskId);
      const result = await ctx.pool.query<{
        id: string;
        parent_task_id: string;
        title: string | null;
        prompt_preview: string;
        status: TaskStatus;
        model: string;
        depth: number;
        created_at: Date;
      }>(
        `with recursive tree as (
           select id, parent_task_id, title, left(prompt, 120) as prompt_preview, status, model, created_at, 1 as depth,
                  array[created_at::text || id::text] as path
             from tasks where parent_task_id = $1 and team_id = $2
           union all
           select t.id, t.parent_task_id, t.title, left(t.prompt, 120), t.status, t.model, t.created_at, tree.depth + 1,
                  tree.path || (t.created_at::text || t.id::text)
             from tasks t join tree on t.parent_task_id = tree.id
            where tree.depth < 10 and t.team_id = $2
         )
         select id, parent_task_id, title, prompt_preview, status::text as status, model, depth, created_at
           from tree order by path limit 500`,
        [input.taskId, ctx.team.id],
      );
      return result.rows.map((r) => ({
        id: r.id,
        parentTaskId: r.parent_task_id,
        title: r.title,
        promptPreview: r.prompt_preview,
        status: r.status,
        model: r.model,
        depth: r.depth,
        createdAt: r.created_at,
      }));
    }),

  /**
   * The live transcript: every event after `afterSeq` (or the `lastEventId`
   * the SSE client resumes from), then new ones as the worker writes them,
   * plus the task's status and usage whenever they change. Woken by
   * LISTEN baton_task_events, polling every 2 s as a fallback.
   */
  watch: teamProcedure('viewer')
    .input(
      taskIdInput.extend({
        // Event numbers are PostgreSQL integers: a larger one is no event of this task.
        afterSeq: z.number().int().min(0).max(SEQ_MAX, 'Not a valid event number.').optional(),
        lastEventId: z
          .string()
          .regex(/^\d+$/, 'Not a valid event id.')
          .refine((v) => Number(v) <= SEQ_MAX, 'Not a valid event id.')
          .nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      await taskOfTeam(ctx, ctx.team.id, input.taskId);
      let lastSeq = input.lastEventId ? Number(input.lastEventId) : (input.afterSeq ?? 0);
      const waker = createWaker();
      const unlisten = listenTask(ctx.pool, input.taskId, waker.wake);
      let lastSnapshot = '';
      try {
        while (!signal?.aborted) {
          // Each poll and each wake re-reads the task with the viewer's membership, in one
          // statement, before anything is sent: a member removed from the team (or the task
          // gone) ends the stream here.
          const task = await taskForMember(ctx, ctx.team.id, input.taskId, ctx.session.user.id);
          for (;;) {
            const batch = await ctx.db
              .select()
              .from(taskEvents)
              .where(and(eq(taskEvents.taskId, input.taskId), gt(taskEvents.seq, lastSeq)))
              .orderBy(asc(taskEvents.seq))
              .limit(500);
            for (const event of batch) {
              lastSeq = event.seq;
              yield tracked(String(event.seq), { kind: 'event' as const, event });
            }
            if (batch.length < 500) break;
          }
          const usage = await taskUsage(ctx, input.taskId);
          const snapshot = {
            status: task.status,
            statusReason: task.statusReason,
            attempts: task.attempts,
            startedAt: task.startedAt,
            finishedAt: task.finishedAt,
            cancelRequestedAt: task.cancelRequestedAt,
            result: task.result,
            error: task.error,
          };
          const key = JSON.stringify([snapshot, usage]);
          if (key !== lastSnapshot) {
            lastSnapshot = key;
            yield tracked(String(lastSeq), { kind: 'task' as const, task: snapshot, usage });
          }
          await waker.wait(WATCH_POLL_MS, signal);
        }
      } finally {
        unlisten();
      }
    }),

  /** Usage and cost of one task. */
  usage: teamProcedure('viewer')
    .input(taskIdInput)
    .query(async ({ ctx, input }) => {
      await taskOfTeam(ctx, ctx.team.id, input.taskId);
      return taskUsage(ctx, input.taskId);
    }),

  /** One task with its events (ordered). */
  byId: teamProcedure('viewer')
    .input(taskIdInput)
    .query(async ({ ctx, input }) => {
      const task = await taskOfTeam(ctx, ctx.team.id, input.taskId);
      const events = await ctx.db
        .select()
        .from(taskEvents)
        .where(eq(taskEvents.taskId, task.id))
        .orderBy(asc(taskEvents.seq))
        .limit(1000);
      return { task, events };
    }),

  /**
   * A claude-code task's workspace as its latest attempt left it (null before a worker made
   * one), without the archive's bytes (`hasArchive`, `archiveBytes`; download it through
   * `workspaceDownload`), and the task's effective policy now: its tools (its own list
   * narrowed by the team's current one) and the team's permission mode.
   */
  workspace: teamProcedure('viewer')
    .input(taskIdInput)
    .query(async ({ ctx, input }) => {
      const task = await taskOfTeam(ctx, ctx.team.id, input.taskId);
      const [row] = await ctx.db
        .select({
          repositoryName: taskWorkspaces.repositoryName,
          ref: taskWorkspaces.ref,
          baseCommit: taskWorkspaces.baseCommit,
          workerId: taskWorkspaces.workerId,
          sandbox: taskWorkspaces.sandbox,
          sizeBytes: taskWorkspaces.sizeBytes,
          fileCount: taskWorkspaces.fileCount,
          files: taskWorkspaces.files,
          filesTruncated: taskWorkspaces.filesTruncated,
          diff: taskWorkspaces.diff,
          diffTruncated: taskWorkspaces.diffTruncated,
          hasArchive: sql<boolean>`${taskWorkspaces.archive} is not null`,
          archiveBytes: taskWorkspaces.archiveBytes,
          archiveNote: taskWorkspaces.archiveNote,
          createdAt: taskWorkspaces.createdAt,
          updatedAt: taskWorkspaces.updatedAt,
          removedAt: taskWorkspaces.removedAt,
        })
        .from(taskWorkspaces)
        .where(and(eq(taskWorkspaces.taskId, task.id), eq(taskWorkspaces.teamId, ctx.team.id)));
      if (!row) return null;
      const asked = (task.options as { tools?: unknown }).tools;
      const { tools } = effectiveTools(
        ctx.team.claudeCodeTools,
        Array.isArray(asked) ? asked.filter((t): t is string => typeof t === 'string') : null,
      );
      return {
        ...row,
        tools,
        permissionMode: permissionModeOf(ctx.team.claudeCodePermissionMode),
      };
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
