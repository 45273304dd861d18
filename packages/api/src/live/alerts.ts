/**
 * Alert rules → alerts. Each enabled rule of a team is measured over its
 * window; above (or below, for `lt`) its threshold it opens one alert (kept
 * open, value refreshed, while the condition holds) and resolves it when the
 * condition clears. Idempotent: run it as often as you like (the Live page
 * does, on every refresh).
 */
import type { Database } from '@baton/db/client';
import { alertRules, alerts } from '@baton/db/schema';
import { and, eq, sql } from 'drizzle-orm';

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
        await tx
          .insert(alerts)
          .values({ ruleId: rule.id, teamId, value: String(rounded), message });
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
