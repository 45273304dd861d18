/**
 * The Live page: what is happening now in a team and in the shared fleet —
 * active sessions and running tasks, queue depth, rate-limit buckets per
 * scope, workers with their health (heartbeat: breaker states per
 * provider/model, session pool use), circuit breakers across the fleet, recent
 * alerts. Read-only: alert rules are evaluated in the background
 * (`startAlertLoop`, started by the console's server process).
 */
import { createHash } from 'node:crypto';
import { JOBS } from '@baton/db/jobs';
import {
  alertRules,
  alerts,
  claudeSessions,
  tasks,
  type WorkerBreakerState,
  type WorkerPoolState,
  type WorkerSandboxState,
  workerHeartbeats,
} from '@baton/db/schema';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { liveScopes, type ScopeState, scopeVisibleTo } from '../live/ratelimit';
import { isOperator } from '../operator';
import { createTRPCRouter, teamProcedure } from '../trpc';

/** A heartbeat older than this marks its worker stale (it beats every 5 s by default). */
export const HEARTBEAT_STALE_MS = 30_000;
/** Heartbeats of workers gone for longer than this are no longer listed. */
const HEARTBEAT_LISTED_MS = 15 * 60_000;

export interface WorkerState {
  /**
   * The worker's id — by default `<hostname>-<pid>` — for instance operators; anyone else sees
   * a stable pseudonym (`worker-<8 hex>`), the same on every poll and in `breakers`.
   */
  id: string;
  /** Database connections open now under the worker's application names. */
  connections: number;
  activeQueries: number;
  connectedSince: Date | null;
  lastActivityAt: Date | null;
  status: 'busy' | 'idle' | 'stale' | 'stopped';
  /**
   * How the worker confines claude-code tasks, from its heartbeat: `mode: 'off'` runs them
   * unsandboxed, `ok: false` cannot run them (`reason`); null before a worker reported it.
   */
  sandbox: WorkerSandboxState | null;
  /** From the worker's heartbeat (null for a process that never sent one). */
  heartbeat: {
    at: Date;
    /** The worker's host and process: instance operators only (null for anyone else). */
    hostname: string | null;
    pid: number | null;
    startedAt: Date;
    stoppedAt: Date | null;
    running: number;
    concurrency: number;
    pool: WorkerPoolState | null;
    breakers: WorkerBreakerState[];
  } | null;
}

export type BreakerStateName = WorkerBreakerState['state'];

/** One provider/model's circuit across the fleet: the worst state any live worker reports. */
export interface FleetBreaker {
  provider: string;
  model: string;
  state: BreakerStateName;
  workers: { id: string; state: BreakerStateName }[];
}

const SEVERITY: Record<BreakerStateName, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
  isolated: 3,
};

export function fleetBreakers(workers: WorkerState[]): FleetBreaker[] {
  const byKey = new Map<string, FleetBreaker>();
  for (const w of workers) {
    if (!w.heartbeat || w.status === 'stale' || w.status === 'stopped') continue;
    for (const b of w.heartbeat.breakers) {
      const key = `${b.provider}\u0000${b.model}`;
      let f = byKey.get(key);
      if (!f) {
        f = { provider: b.provider, model: b.model, state: 'closed', workers: [] };
        byKey.set(key, f);
      }
      f.workers.push({ id: w.id, state: b.state });
      if (SEVERITY[b.state] > SEVERITY[f.state]) f.state = b.state;
    }
  }
  return [...byKey.values()].sort(
    (a, b) =>
      SEVERITY[b.state] - SEVERITY[a.state] ||
      a.provider.localeCompare(b.provider) ||
      a.model.localeCompare(b.model),
  );
}

/** The id a non-operator sees for a worker: stable, and saying nothing of its host or process. */
export function workerPseudonym(id: string): string {
  return `worker-${createHash('sha256').update(`baton-worker:${id}`).digest('hex').slice(0, 8)}`;
}

/** A worker as someone who does not operate the instance sees it: no host, no PID. */
function withoutHostDetails(w: WorkerState): WorkerState {
  return {
    ...w,
    id: workerPseudonym(w.id),
    heartbeat: w.heartbeat ? { ...w.heartbeat, hostname: null, pid: null } : null,
  };
}

export const liveRouter = createTRPCRouter({
  /**
   * The team's sessions, running and queued tasks, rate-limit scopes and recent alerts (its
   * rules' and its spend caps'; an operator also sees the instance caps' alerts), and the
   * fleet: workers and breakers. Host details (hostnames, PIDs, worker ids made of them) are
   * for instance operators only (`details: true`).
   */
  overview: teamProcedure('viewer').query(async ({ ctx }) => {
    const teamId = ctx.team.id;
    const now = new Date();
    const details = await isOperator(ctx.db, ctx.session.user.id);

    const [sessions, running, queuedRows, fleetSessionRows] = await Promise.all([
      // The sessions of the team's attempts running now, each with its task (a worker marks a
      // task's session active when the attempt starts and idle, closed or failed when it ends;
      // a lapsed lease's is reaped by the heartbeats): the Running tasks list, session for task.
      ctx.db
        .select({
          id: claudeSessions.id,
          backend: claudeSessions.backend,
          model: claudeSessions.model,
          taskId: tasks.id,
          taskTitle: tasks.title,
          taskPrompt: sql<string>`left(${tasks.prompt}, 120)`,
          attempt: tasks.attempts,
          messageCount: claudeSessions.messageCount,
          inputTokens: claudeSessions.inputTokens,
          outputTokens: claudeSessions.outputTokens,
          activeSince: claudeSessions.updatedAt,
          lastUsedAt: claudeSessions.lastUsedAt,
        })
        .from(claudeSessions)
        .innerJoin(tasks, eq(tasks.id, claudeSessions.taskId))
        .where(
          and(
            eq(claudeSessions.teamId, teamId),
            eq(claudeSessions.state, 'active'),
            eq(tasks.status, 'running'),
          ),
        )
        .orderBy(desc(claudeSessions.updatedAt))
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
      // Across the fleet (all teams): what the workers' session pools hold in use.
      ctx.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(claudeSessions)
        .where(eq(claudeSessions.state, 'active')),
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
      limits = (await liveScopes(ctx.pool))
        .filter((s) => scopeVisibleTo(s.scope, teamId))
        .filter((s) => s.dimensions.length > 0 || s.pausedUntil);
      limitsAvailable = true;
    } catch {
      // the database could not be read: shown as unavailable
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
    const beats = await ctx.db
      .select()
      .from(workerHeartbeats)
      .where(gt(workerHeartbeats.lastSeenAt, new Date(now.getTime() - HEARTBEAT_LISTED_MS)))
      .orderBy(workerHeartbeats.id)
      .limit(100);
    const connected = new Map(workerRows.rows.map((w) => [w.id, w]));
    const ids = [...new Set([...beats.map((b) => b.id), ...connected.keys()])].sort();
    const beatOf = new Map(beats.map((b) => [b.id, b]));
    const fleet: WorkerState[] = ids.map((id) => {
      const w = connected.get(id);
      const b = beatOf.get(id);
      const active = Number(w?.active ?? 0);
      const status: WorkerState['status'] = b?.stoppedAt
        ? 'stopped'
        : b && now.getTime() - b.lastSeenAt.getTime() > HEARTBEAT_STALE_MS
          ? 'stale'
          : (b?.running ?? 0) > 0 || active > 0
            ? 'busy'
            : 'idle';
      return {
        id,
        connections: Number(w?.connections ?? 0),
        activeQueries: active,
        connectedSince: w?.since ?? null,
        lastActivityAt: w?.last ?? null,
        status,
        sandbox: b?.sandbox ?? null,
        heartbeat: b
          ? {
              at: b.lastSeenAt,
              hostname: b.hostname,
              pid: b.pid,
              startedAt: b.startedAt,
              stoppedAt: b.stoppedAt,
              running: b.running,
              concurrency: b.concurrency,
              pool: b.pool,
              breakers: b.breakers,
            }
          : null,
      };
    });

    const workers = details ? fleet : fleet.map(withoutHostDetails);
    // Sessions in use in the live workers' pools, as their last heartbeats said (the Workers
    // table's "in use"): the same sessions as the active rows, seen from the workers.
    const inPools = fleet
      .filter((w) => w.status === 'busy' || w.status === 'idle')
      .reduce((n, w) => n + (w.heartbeat?.pool?.active ?? w.heartbeat?.running ?? 0), 0);

    // Rules' alerts name their rule; a spend cap's alert is "Spend cap at 75 %" (its message
    // names the cap).
    const recentAlerts = await ctx.db
      .select({
        id: alerts.id,
        kind: sql<'rule' | 'cap'>`case when ${alerts.capId} is null then 'rule' else 'cap' end`,
        ruleName: sql<string>`coalesce(${alertRules.name}, 'Spend cap at ' || ${alerts.thresholdPct} || ' %')`,
        metric: alertRules.metric,
        capId: alerts.capId,
        thresholdPct: alerts.thresholdPct,
        value: alerts.value,
        message: alerts.message,
        state: alerts.state,
        triggeredAt: alerts.triggeredAt,
        resolvedAt: alerts.resolvedAt,
      })
      .from(alerts)
      .leftJoin(alertRules, eq(alertRules.id, alerts.ruleId))
      .where(
        details ? or(eq(alerts.teamId, teamId), isNull(alerts.teamId)) : eq(alerts.teamId, teamId),
      )
      .orderBy(desc(alerts.triggeredAt))
      .limit(20);

    const openAlertRows = await ctx.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(alerts)
      .where(and(eq(alerts.teamId, teamId), eq(alerts.state, 'open')));

    return {
      at: now,
      sessions,
      /** Active sessions across the fleet: as rows, and in use in the live workers' pools. */
      fleetSessions: { active: fleetSessionRows[0]?.n ?? 0, inPools },
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
      breakers: fleetBreakers(workers),
      alerts: recentAlerts,
      openAlerts: openAlertRows[0]?.n ?? 0,
      /** Whether host details are included (an instance operator). */
      details,
    };
  }),
});
