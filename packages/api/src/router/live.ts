/**
 * The Live page: what is happening now in a team and in the shared fleet —
 * active sessions and running tasks, queue depth, rate-limit buckets per
 * scope, connected workers, recent alerts. Read-only; it also evaluates the
 * team's alert rules so alerts appear while someone watches.
 */
import { JOBS } from '@baton/db/jobs';
import { alertRules, alerts, claudeSessions, tasks } from '@baton/db/schema';
import { and, desc, eq, sql } from 'drizzle-orm';
import { evaluateAlertRules } from '../live/alerts';
import { type BucketRow, type ScopeState, scopeState, scopeVisibleTo } from '../live/ratelimit';
import { createTRPCRouter, teamProcedure } from '../trpc';

export interface WorkerState {
  id: string;
  connections: number;
  activeQueries: number;
  connectedSince: Date;
  lastActivityAt: Date | null;
  status: 'busy' | 'idle';
}

export const liveRouter = createTRPCRouter({
  overview: teamProcedure('viewer').query(async ({ ctx }) => {
    const teamId = ctx.team.id;
    const now = new Date();

    const [sessions, running, queuedRows] = await Promise.all([
      ctx.db
        .select({
          id: claudeSessions.id,
          backend: claudeSessions.backend,
          model: claudeSessions.model,
          taskId: claudeSessions.taskId,
          messageCount: claudeSessions.messageCount,
          inputTokens: claudeSessions.inputTokens,
          outputTokens: claudeSessions.outputTokens,
          lastUsedAt: claudeSessions.lastUsedAt,
        })
        .from(claudeSessions)
        .where(and(eq(claudeSessions.teamId, teamId), eq(claudeSessions.state, 'active')))
        .orderBy(desc(claudeSessions.lastUsedAt))
        .limit(50),
      ctx.db
        .select({
          id: tasks.id,
          title: tasks.title,
          prompt: sql<string>`left(${tasks.prompt}, 120)`,
          backend: tasks.backend,
          model: tasks.model,
          attempts: tasks.attempts,
          startedAt: tasks.startedAt,
          cancelRequestedAt: tasks.cancelRequestedAt,
        })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), eq(tasks.status, 'running')))
        .orderBy(desc(tasks.startedAt))
        .limit(50),
      ctx.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), eq(tasks.status, 'queued'))),
    ]);

    // The shared queue (all teams): job counts by state. Absent until pg-boss first started.
    let queue: { available: boolean; byState: Record<string, number> } = {
      available: false,
      byState: {},
    };
    try {
      const res = await ctx.pool.query<{ state: string; n: string }>(
        `select state::text as state, count(*) as n from pgboss.job where name = $1 and state in ('created', 'retry', 'active') group by state`,
        [JOBS.runTask],
      );
      queue = {
        available: true,
        byState: Object.fromEntries(res.rows.map((r) => [r.state, Number(r.n)])),
      };
    } catch {
      // no pgboss schema yet
    }

    let limits: ScopeState[] = [];
    let limitsAvailable = false;
    try {
      const res = await ctx.pool.query<BucketRow>(
        'select scope, capacity, level, updated_at, paused_until from baton_ratelimit_buckets order by scope limit 200',
      );
      limitsAvailable = true;
      limits = res.rows
        .filter((r) => scopeVisibleTo(r.scope, teamId))
        .map((r) => scopeState(r, now))
        .filter((s) => s.dimensions.length > 0 || s.pausedUntil);
    } catch {
      // the limiter has not created its table yet (no request made)
    }

    // Workers: processes connected to this database under the worker's application names.
    const workerRows = await ctx.pool.query<{
      id: string;
      connections: string;
      active: string;
      since: Date;
      last: Date | null;
    }>(
      `select regexp_replace(application_name, '^baton-(worker|queue):', '') as id,
              count(*) as connections,
              count(*) filter (where state = 'active') as active,
              min(backend_start) as since,
              max(state_change) as last
         from pg_stat_activity
        where application_name ~ '^baton-(worker|queue):'
        group by 1 order by 1`,
    );
    const fleetRunning = await ctx.pool.query<{ n: string }>(
      `select count(*) as n from tasks where status = 'running'`,
    );
    const workers: WorkerState[] = workerRows.rows.map((w) => ({
      id: w.id,
      connections: Number(w.connections),
      activeQueries: Number(w.active),
      connectedSince: w.since,
      lastActivityAt: w.last,
      status: Number(w.active) > 0 ? 'busy' : 'idle',
    }));

    await evaluateAlertRules(ctx.db, teamId, now);
    const recentAlerts = await ctx.db
      .select({
        id: alerts.id,
        ruleName: alertRules.name,
        metric: alertRules.metric,
        value: alerts.value,
        message: alerts.message,
        state: alerts.state,
        triggeredAt: alerts.triggeredAt,
        resolvedAt: alerts.resolvedAt,
      })
      .from(alerts)
      .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
      .where(eq(alerts.teamId, teamId))
      .orderBy(desc(alerts.triggeredAt))
      .limit(20);

    return {
      at: now,
      sessions,
      running,
      queue: {
        teamQueued: queuedRows[0]?.n ?? 0,
        teamRunning: running.length,
        fleetRunning: Number(fleetRunning.rows[0]?.n ?? 0),
        jobs: queue.available
          ? {
              waiting: (queue.byState.created ?? 0) + (queue.byState.retry ?? 0),
              retrying: queue.byState.retry ?? 0,
              active: queue.byState.active ?? 0,
            }
          : null,
      },
      limits: { available: limitsAvailable, scopes: limits },
      workers,
      alerts: recentAlerts,
    };
  }),
});
