/**
 * Alert rules → alerts. Each enabled rule of a team is measured over its
 * window; above (or below, for `lt`) its threshold it opens one alert (kept
 * open, value refreshed, while the condition holds) and resolves it when the
 * condition clears. Deduplicated: at most one open alert per rule (a unique
 * index enforces it), and a rule that fires again within its window reopens
 * the alert it resolved instead of opening another — one alert per rule per
 * window. Idempotent: run it as often as you like. `startAlertLoop` runs it
 * in the background for every team (the console's server process starts it).
 */
import type { Database } from '@baton/db/client';
import { alertRules, alerts } from '@baton/db/schema';
import { and, desc, eq, gte, sql } from 'drizzle-orm';

export type AlertMetric = (typeof alertRules.$inferSelect)['metric'];

export const METRIC_LABELS: Record<AlertMetric, string> = {
  cost_per_day_usd: 'Cost per day (USD)',
  error_rate: 'Error rate (%)',
  projected_block_tokens: 'Projected 5-hour block tokens',
  queue_depth: 'Queued tasks',
  rate_limit_remaining_ratio: 'Rate limit remaining (%)',
};

async function one(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const res = await db.execute(query);
  const v = (res.rows[0] as { v: unknown } | undefined)?.v;
  return v === null || v === undefined ? 0 : Number(v);
}

/** The current value of a metric for a team over the last `windowMinutes`. */
export async function measure(
  db: Database,
  teamId: string,
  metric: AlertMetric,
  windowMinutes: number,
  now = new Date(),
): Promise<number> {
  const from = new Date(now.getTime() - windowMinutes * 60_000);
  switch (metric) {
    case 'cost_per_day_usd': {
      // Spend in the window, scaled to a day.
      const cost = await one(
        db,
        sql`select coalesce(sum(cost_usd), 0) as v from usage_events where team_id = ${teamId} and created_at >= ${from} and created_at < ${now}`,
      );
      return (cost * 1440) / windowMinutes;
    }
    case 'error_rate':
      return one(
        db,
        sql`select case when count(*) = 0 then 0 else 100.0 * count(*) filter (where status = 'error') / count(*) end as v from usage_events where team_id = ${teamId} and created_at >= ${from} and created_at < ${now}`,
      );
    case 'projected_block_tokens': {
      // The current 5-hour block (since the first request after a 5 h gap), projected to its end at the current burn rate.
      const res = await db.execute(
        sql`select min(created_at) as start, sum(input_tokens + output_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens) as tokens from usage_events where team_id = ${teamId} and created_at >= ${new Date(now.getTime() - 5 * 3_600_000)} and created_at < ${now}`,
      );
      const row = res.rows[0] as { start: Date | string | null; tokens: unknown } | undefined;
      if (!row?.start) return 0;
      const start = new Date(row.start).getTime();
      const tokens = Number(row.tokens ?? 0);
      const elapsed = Math.max(60_000, now.getTime() - start);
      return Math.round((tokens / elapsed) * 5 * 3_600_000);
    }
    case 'queue_depth':
      return one(
        db,
        sql`select count(*) as v from tasks where team_id = ${teamId} and status = 'queued'`,
      );
    case 'rate_limit_remaining_ratio':
      // Lowest remaining share of any shared bucket, refilled to now.
      return one(
        db,
        sql`select coalesce(min(100.0 * least(c, l + greatest(0, extract(epoch from (now() - updated_at)) * 1000) * c / 60000.0) / c), 100) as v
            from baton_ratelimit_buckets, unnest(capacity, level) as u(c, l) where c > 0 and l is not null`,
      ).catch(() => 100);
  }
}

export interface EvaluatedRule {
  ruleId: string;
  value: number;
  firing: boolean;
}

export async function evaluateAlertRules(
  db: Database,
  teamId: string,
  now = new Date(),
): Promise<EvaluatedRule[]> {
  const rules = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.teamId, teamId), eq(alertRules.enabled, true)));
  const out: EvaluatedRule[] = [];
  for (const rule of rules) {
    const value = await measure(db, teamId, rule.metric, rule.windowMinutes, now);
    const threshold = Number(rule.threshold);
    const firing = rule.comparator === 'lt' ? value < threshold : value > threshold;
    const rounded = Math.round(value * 1e6) / 1e6;
    await db.transaction(async (tx) => {
      // One evaluator at a time per rule.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${rule.id}))`);
      const [open] = await tx
        .select()
        .from(alerts)
        .where(and(eq(alerts.ruleId, rule.id), eq(alerts.state, 'open')))
        .limit(1);
      const message = `${rule.name}: ${METRIC_LABELS[rule.metric]} is ${formatValue(rule.metric, rounded)} (${rule.comparator === 'lt' ? 'below' : 'over'} ${formatValue(rule.metric, threshold)})`;
      if (firing && !open) {
        // Flapping within the window reopens the same alert rather than adding one.
        const windowStart = new Date(now.getTime() - rule.windowMinutes * 60_000);
        const [recent] = await tx
          .select({ id: alerts.id })
          .from(alerts)
          .where(and(eq(alerts.ruleId, rule.id), gte(alerts.triggeredAt, windowStart)))
          .orderBy(desc(alerts.triggeredAt))
          .limit(1);
        if (recent) {
          await tx
            .update(alerts)
            .set({ state: 'open', resolvedAt: null, value: String(rounded), message })
            .where(eq(alerts.id, recent.id));
        } else {
          await tx
            .insert(alerts)
            .values({ ruleId: rule.id, teamId, value: String(rounded), message, triggeredAt: now })
            .onConflictDoNothing();
        }
      } else if (firing && open) {
        await tx
          .update(alerts)
          .set({ value: String(rounded), message })
          .where(eq(alerts.id, open.id));
      } else if (!firing && open) {
        await tx
          .update(alerts)
          .set({ state: 'resolved', resolvedAt: now })
          .where(eq(alerts.id, open.id));
      }
    });
    out.push({ ruleId: rule.id, value: rounded, firing });
  }
  return out;
}

export interface AlertSweep {
  teams: number;
  rules: number;
  firing: number;
}

/** Evaluates the enabled rules of every team (what the background loop runs). */
export async function evaluateAllAlertRules(db: Database, now = new Date()): Promise<AlertSweep> {
  const teamRows = await db
    .selectDistinct({ teamId: alertRules.teamId })
    .from(alertRules)
    .where(eq(alertRules.enabled, true));
  let rules = 0;
  let firing = 0;
  for (const { teamId } of teamRows) {
    const evaluated = await evaluateAlertRules(db, teamId, now);
    rules += evaluated.length;
    firing += evaluated.filter((r) => r.firing).length;
  }
  return { teams: teamRows.length, rules, firing };
}

// One sweep at a time across every process sharing the database.
const SWEEP_LOCK = 728_145_103;

export interface AlertLoopOptions {
  /** Between the end of one sweep and the start of the next (default 30 s). */
  intervalMs?: number;
  onSweep?: (sweep: AlertSweep) => void;
  onError?: (err: unknown) => void;
}

export interface AlertLoop {
  /** Runs a sweep now (unless another process is sweeping); resolves when it ends. */
  sweep(): Promise<AlertSweep | null>;
  stop(): Promise<void>;
}

/**
 * Evaluates every team's alert rules every `intervalMs`, whether or not a page
 * is open. Several console processes may run it: a transaction-scoped
 * advisory lock lets one of them sweep at a time, the others skip that tick.
 */
export function startAlertLoop(db: Database, options: AlertLoopOptions = {}): AlertLoop {
  const intervalMs = options.intervalMs ?? 30_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<AlertSweep | null> | undefined;

  const sweep = (): Promise<AlertSweep | null> => {
    running ??= db
      .transaction(async (tx) => {
        const res = await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as ok`);
        if (!(res.rows[0] as { ok: boolean } | undefined)?.ok) return null;
        return evaluateAllAlertRules(db);
      })
      .then(
        (result) => {
          if (result) options.onSweep?.(result);
          return result;
        },
        (err: unknown) => {
          options.onError?.(err);
          return null;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void sweep().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  // First sweep soon after start, then every interval.
  timer = setTimeout(() => void sweep().finally(schedule), Math.min(intervalMs, 1000));
  timer.unref();

  return {
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export function formatValue(metric: AlertMetric, v: number): string {
  switch (metric) {
    case 'cost_per_day_usd':
      return `$${v.toFixed(v < 1 ? 4 : 2)}`;
    case 'error_rate':
    case 'rate_limit_remaining_ratio':
      return `${v.toFixed(1)}%`;
    default:
      return Math.round(v).toLocaleString('en');
  }
}
