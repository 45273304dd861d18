/**
 * Alert rules → alerts, and spend caps → alerts.
 *
 * Rules: each enabled rule of a team is measured (`measure`: every metric says what it
 * measures — "cost per day" is the current UTC day so far, not a rate scaled from a window);
 * above (or below, for `lt`) its threshold it opens one alert (kept open, value refreshed,
 * while the condition holds) and resolves it when the condition clears. Deduplicated: at most
 * one open alert per rule (a unique index enforces it), and a rule that fires again within its
 * window reopens the alert it resolved instead of opening another — one alert per rule per
 * window.
 *
 * Caps (`evaluateCapAlerts`): every spend cap at 75 % and 95 % of its current period, once per
 * cap, threshold and period (the unique index `alerts_cap_once_per_period`, ON CONFLICT DO
 * NOTHING); resolved when the period ends. A team or user cap's alert belongs to its team; an
 * instance cap's has no team (operators see it on the Live page).
 *
 * Idempotent: run it as often as you like. `startAlertLoop` runs both in the background (the
 * console's server process starts it).
 */

import type { Database } from '@baton/db/client';
import { alertRules, alerts } from '@baton/db/schema';
import { activeBlock, identifyBlocks, projectBlock, type UsageEntry } from '@baton/ratelimit';
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { sqlClientOf, trimUsd } from '../budget';
import { liveScopes, scopeVisibleTo } from './ratelimit';

export type AlertMetric = (typeof alertRules.$inferSelect)['metric'];

/** What each metric measures, as rule lists show it. */
export const METRIC_LABELS: Record<AlertMetric, string> = {
  cost_per_day_usd: 'Cost today so far (UTC day, USD)',
  error_rate: 'Error rate over the window (%)',
  projected_block_tokens: 'Projected tokens of the current 5-hour block (input + output)',
  queue_depth: 'Queued tasks',
  rate_limit_remaining_ratio: 'Lowest rate-limit headroom (%)',
};

function minutesText(m: number): string {
  if (m % 1440 === 0) return m === 1440 ? '24 h' : `${m / 1440} days`;
  if (m % 60 === 0) return `${m / 60} h`;
  return `${m} min`;
}

/** The metric as an alert's message names it (with its window where it has one). */
export function metricPhrase(metric: AlertMetric, windowMinutes: number): string {
  switch (metric) {
    case 'cost_per_day_usd':
      return 'Cost today so far (UTC day)';
    case 'error_rate':
      return `Error rate over the last ${minutesText(windowMinutes)}`;
    case 'projected_block_tokens':
      return 'Projected tokens of the current 5-hour block';
    case 'queue_depth':
      return 'Queued tasks';
    case 'rate_limit_remaining_ratio':
      return 'Lowest rate-limit headroom';
  }
}

async function one(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const res = await db.execute(query);
  const v = (res.rows[0] as { v: unknown } | undefined)?.v;
  return v === null || v === undefined ? 0 : Number(v);
}

const HOUR = 3_600_000;

/** 00:00 UTC of `now`'s day. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * The current value of a metric for a team as of `now`:
 *  - `cost_per_day_usd`: USD spent since 00:00 UTC today, up to `now` (the window is not used);
 *  - `error_rate`: % of the responses in the last `windowMinutes` that were errors (0 with none);
 *  - `projected_block_tokens`: the active 5-hour block's input + output tokens at its end if the
 *    burn rate holds (its tokens so far when it has a single instant; 0 with no active block) —
 *    the blocks and projection of the Analytics page (`identifyBlocks` / `projectBlock` over
 *    per-minute sums of the last 48 h);
 *  - `queue_depth`: the team's queued tasks;
 *  - `rate_limit_remaining_ratio`: the lowest remaining share (%) of any rate-limit bucket the
 *    team's Live page shows, refilled to `now` as the limiter refills (100 with none).
 */
export async function measure(
  db: Database,
  teamId: string,
  metric: AlertMetric,
  windowMinutes: number,
  now = new Date(),
): Promise<number> {
  const from = new Date(now.getTime() - windowMinutes * 60_000);
  switch (metric) {
    case 'cost_per_day_usd':
      return one(
        db,
        sql`select coalesce(sum(cost_usd), 0) as v from usage_events where team_id = ${teamId} and created_at >= ${utcDayStart(now)} and created_at < ${now}`,
      );
    case 'error_rate':
      return one(
        db,
        sql`select case when count(*) = 0 then 0 else 100.0 * count(*) filter (where status = 'error') / count(*) end as v from usage_events where team_id = ${teamId} and created_at >= ${from} and created_at < ${now}`,
      );
    case 'projected_block_tokens': {
      const res = await db.execute(
        sql`select date_trunc('minute', created_at) as bucket, model,
                   sum(input_tokens)::float8 as i, sum(output_tokens)::float8 as o,
                   sum(cache_write_5m_tokens + cache_write_1h_tokens)::float8 as cw,
                   sum(cache_read_tokens)::float8 as cr, sum(cost_usd)::float8 as cost
              from usage_events
             where team_id = ${teamId} and created_at >= ${new Date(now.getTime() - 48 * HOUR)} and created_at < ${now}
             group by 1, 2 order by 1`,
      );
      const records: UsageEntry[] = (res.rows as Record<string, unknown>[]).map((r) => ({
        timestamp: new Date(r.bucket as string),
        model: String(r.model),
        inputTokens: Number(r.i),
        outputTokens: Number(r.o),
        cacheCreationTokens: Number(r.cw),
        cacheReadTokens: Number(r.cr),
        costUsd: Number(r.cost),
      }));
      const block = activeBlock(identifyBlocks(records, { now }).filter((b) => !b.isGap));
      if (!block) return 0;
      const projected = projectBlock(block, now);
      return projected
        ? projected.totalTokens
        : block.tokenCounts.inputTokens + block.tokenCounts.outputTokens;
    }
    case 'queue_depth':
      return one(
        db,
        sql`select count(*) as v from tasks where team_id = ${teamId} and status = 'queued'`,
      );
    case 'rate_limit_remaining_ratio': {
      let lowest = 100;
      // The pool under drizzle (node-postgres): the store reads its scopes itself.
      for (const scope of await liveScopes(sqlClientOf(db))) {
        if (!scopeVisibleTo(scope.scope, teamId)) continue;
        for (const d of scope.dimensions) lowest = Math.min(lowest, (100 * d.remaining) / d.limit);
      }
      return lowest;
    }
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
      const message = `${rule.name}: ${metricPhrase(rule.metric, rule.windowMinutes)} is ${formatValue(rule.metric, rounded)} (${rule.comparator === 'lt' ? 'below' : 'over'} ${formatValue(rule.metric, threshold)})`;
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

/** The shares of a cap's period at which it alerts. */
export const CAP_ALERT_THRESHOLDS = [75, 95] as const;

export interface CapAlertSweep {
  /** Caps looked at. */
  caps: number;
  /** Alerts inserted by this call (each cap, threshold and period fires once). */
  fired: number;
  /** Alerts of periods that ended, resolved by this call. */
  resolved: number;
}

interface CapRow {
  cap_id: string;
  scope: 'instance' | 'team' | 'user';
  team_id: string | null;
  team_name: string | null;
  user_name: string | null;
  user_email: string | null;
  period: string;
  usd: string;
  spent: string;
  used_pct: string;
  starts_at: Date;
  resets_at: Date;
  set_by_operator: boolean;
  crossed: number[];
}

/** "The team's daily cap of $5.00 is 80.4% used ($4.0200 spent; alert at 75%); it resets at …". */
export function capAlertMessage(
  cap: Pick<
    CapRow,
    'scope' | 'period' | 'usd' | 'spent' | 'used_pct' | 'resets_at' | 'set_by_operator'
  > & { user_name?: string | null; user_email?: string | null },
  pct: number,
): string {
  const whose =
    cap.scope === 'instance'
      ? `The instance's ${cap.period} cap`
      : cap.scope === 'team'
        ? cap.set_by_operator
          ? `The team's ${cap.period} ceiling (set by an operator)`
          : `The team's ${cap.period} cap`
        : `The ${cap.period} cap of ${cap.user_name || cap.user_email || 'a member'}${cap.user_email && cap.user_name ? ` (${cap.user_email})` : ''}`;
  const spentOn = cap.scope === 'instance' ? ' across all teams' : '';
  const used = Math.floor(Number(cap.used_pct) * 10) / 10;
  const resets = cap.resets_at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${whose} of $${trimUsd(cap.usd)} is ${used.toFixed(1)}% used ($${trimUsd(cap.spent, 4)} spent${spentOn}; alert at ${pct}%); it resets at ${resets}`;
}

/**
 * Spend caps at 75 % and 95 % of their current period (as of `now`, the caps' own windows from
 * `baton_cap_state`): one alert per cap, threshold and period — inserted once (ON CONFLICT DO
 * NOTHING on `alerts_cap_once_per_period`), however often and from however many processes this
 * runs; alerts of periods that have ended are resolved.
 */
export async function evaluateCapAlerts(db: Database, now = new Date()): Promise<CapAlertSweep> {
  const thresholds = sql.raw(`array[${CAP_ALERT_THRESHOLDS.join(', ')}]::int[]`);
  const res = await db.execute(
    sql`select s.cap_id, s.scope, s.team_id, t.name as team_name, u.name as user_name,
               u.email as user_email, s.period, s.usd::text as usd, s.spent::text as spent,
               round(100 * s.spent / s.usd, 4)::text as used_pct, s.starts_at, s.resets_at,
               s.set_by_operator,
               array(select p from unnest(${thresholds}) p where s.spent * 100 >= s.usd * p order by p) as crossed
          from spend_caps c
          cross join lateral baton_cap_state(c.team_id, coalesce(c.user_id, ''), ${now}::timestamptz) s
          left join teams t on t.id = s.team_id
          left join users u on u.id = s.user_id
         where s.cap_id = c.id`,
  );
  const caps = res.rows as unknown as CapRow[];
  const resolved = await db.execute(
    sql`update alerts a set state = 'resolved', resolved_at = ${now}
          from spend_caps c cross join lateral baton_period_bounds(c.period, ${now}::timestamptz) b
         where a.cap_id = c.id and a.state = 'open' and a.period_start < b.starts_at
        returning a.id`,
  );
  let fired = 0;
  for (const cap of caps) {
    const startsAt = new Date(cap.starts_at);
    const row = { ...cap, resets_at: new Date(cap.resets_at) };
    for (const pct of cap.crossed ?? []) {
      const inserted = await db.execute(
        sql`insert into alerts (cap_id, threshold_pct, period_start, team_id, value, message, triggered_at)
            values (${cap.cap_id}, ${pct}, ${startsAt}, ${cap.team_id}, ${cap.used_pct}::numeric,
                    ${capAlertMessage(row, pct)}, ${now})
            on conflict (cap_id, threshold_pct, period_start) where cap_id is not null do nothing
            returning id`,
      );
      fired += inserted.rows.length;
    }
  }
  return { caps: caps.length, fired, resolved: resolved.rows.length };
}

export interface AlertSweep {
  teams: number;
  rules: number;
  firing: number;
  /** Spend caps looked at, and cap alerts this sweep inserted. */
  caps: number;
  capAlerts: number;
}

/** Evaluates the enabled rules of every team, then every spend cap (what the background loop runs). */
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
  const capSweep = await evaluateCapAlerts(db, now);
  return { teams: teamRows.length, rules, firing, caps: capSweep.caps, capAlerts: capSweep.fired };
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
