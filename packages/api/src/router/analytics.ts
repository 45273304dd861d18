/**
 * Analytics over the usage rollups (packages/db/src/schema/analytics.ts) —
 * never the raw usage_events. The grain follows the range: minutes up to
 * 6 hours, hours up to 7 days, days beyond.
 *
 * The rollups are kept asynchronously (`@baton/db/rollup`: every worker runs
 * the rollup loop); each procedure first rolls up one bounded batch of pending
 * usage (at most CATCH_UP_ROWS rows, shared by concurrent requests) so the
 * dashboards are current even when no worker runs.
 */
import { rollupUsage } from '@baton/db/rollup';
import {
  BACKENDS,
  LATENCY_BUCKET_BOUNDS_MS,
  type RollupGrain,
  TASK_COST_BOUNDS,
} from '@baton/db/schema';
import { burnRate, identifyBlocks, projectBlock, type UsageEntry } from '@baton/ratelimit';
import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { quantile } from '../analytics/histogram';
import { AppError } from '../errors';
import { type Context, createTRPCRouter, teamProcedure } from '../trpc';

export { TASK_COST_BOUNDS };

/**
 * Most pending usage rows one analytics request rolls up before answering
 * (about 0.2–0.5 s at most; nothing pending: about 1 ms — see the README's bench).
 */
export const CATCH_UP_ROWS = 5_000;

const catchingUp = new WeakMap<object, Promise<void>>();

/**
 * Rolls up one bounded batch of pending usage; concurrent requests on the same
 * pool share the call. Failures are ignored: the answer then comes from the
 * rollups as they are, and the worker's loop catches up.
 */
export function catchUpRollups(pool: Context['pool']): Promise<void> {
  const running = catchingUp.get(pool);
  if (running) return running;
  const p = rollupUsage(pool, { maxRows: CATCH_UP_ROWS })
    .then(() => undefined)
    .catch(() => undefined)
    .finally(() => catchingUp.delete(pool));
  catchingUp.set(pool, p);
  return p;
}

/** Viewer+ of the team; rolls up pending usage first. */
const analyticsProcedure = teamProcedure('viewer').use(async ({ ctx, next }) => {
  await catchUpRollups(ctx.pool);
  return next();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GRAIN_MS: Record<RollupGrain, number> = { minute: 60_000, hour: HOUR, day: DAY };
const TABLE: Record<RollupGrain, string> = {
  minute: 'usage_rollup_minute',
  hour: 'usage_rollup_hour',
  day: 'usage_rollup_day',
};

const filterShape = z.object({
  from: z.date('Not a valid date.'),
  to: z.date('Not a valid date.'),
  userId: z.string().min(1).max(200).optional(),
  model: z.string().min(1).max(200).optional(),
  backend: z.enum(BACKENDS).optional(),
});

function checkedRange<T extends z.ZodType<{ from: Date; to: Date }>>(schema: T) {
  return schema
    .refine((v) => v.to.getTime() > v.from.getTime(), {
      path: ['to'],
      message: 'The end must be after the start.',
    })
    .refine((v) => v.to.getTime() - v.from.getTime() <= 400 * DAY, {
      path: ['from'],
      message: 'Choose a range of at most 400 days.',
    });
}

export const analyticsFilter = checkedRange(filterShape);
type Filter = z.infer<typeof filterShape>;

export function grainFor(f: Pick<Filter, 'from' | 'to'>): RollupGrain {
  const span = f.to.getTime() - f.from.getTime();
  return span <= 6 * HOUR ? 'minute' : span <= 7 * DAY ? 'hour' : 'day';
}

/** Range start floored to the grain so partial first buckets are included. */
function floorTo(d: Date, grain: RollupGrain): Date {
  const ms = GRAIN_MS[grain];
  return new Date(Math.floor(d.getTime() / ms) * ms);
}

function where(teamId: string, f: Filter, grain: RollupGrain, alias = 'r'): SQL {
  const a = sql.raw(alias);
  const parts: SQL[] = [
    sql`${a}.team_id = ${teamId}`,
    sql`${a}.bucket >= ${floorTo(f.from, grain).toISOString()}`,
    sql`${a}.bucket < ${f.to.toISOString()}`,
  ];
  if (f.userId) parts.push(sql`${a}.user_id = ${f.userId}`);
  if (f.model) parts.push(sql`${a}.model = ${f.model}`);
  if (f.backend) parts.push(sql`${a}.backend = ${f.backend}`);
  return sql.join(parts, sql` and `);
}

async function rows<T>(ctx: Pick<Context, 'db'>, query: SQL): Promise<T[]> {
  const result = await ctx.db.execute(query);
  return result.rows as T[];
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Element-wise sum of an int[] column, as a SQL expression returning int[]. */
function histSum(col: string): SQL {
  const len = LATENCY_BUCKET_BOUNDS_MS.length + 1;
  const parts = Array.from({ length: len }, (_, i) => `coalesce(sum(${col}[${i + 1}]), 0)::int`);
  return sql.raw(`array[${parts.join(', ')}]`);
}

const input = analyticsFilter;

/** A decimal string with at most 6 fraction digits, from a numeric sum. */
const usd = (v: unknown) => (v === null || v === undefined ? '0' : String(v));

async function summary(ctx: Pick<Context, 'db'>, teamId: string, f: Filter) {
  const grain = grainFor(f);
  const t = sql.raw(TABLE[grain]);
  const [row] = await rows<Record<string, unknown>>(
    ctx,
    sql`select coalesce(sum(requests), 0)::bigint as requests, coalesce(sum(errors), 0)::bigint as errors,
          coalesce(sum(input_tokens), 0)::bigint as input_tokens, coalesce(sum(output_tokens), 0)::bigint as output_tokens,
          coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0)::bigint as cache_write_tokens,
          coalesce(sum(cache_read_tokens), 0)::bigint as cache_read_tokens,
          coalesce(sum(cost_usd), 0)::numeric(24,6)::text as cost_usd,
          coalesce(sum(latency_ms_sum), 0)::bigint as latency_sum, coalesce(sum(latency_count), 0)::bigint as latency_count,
          coalesce(sum(ttft_ms_sum), 0)::bigint as ttft_sum, coalesce(sum(ttft_count), 0)::bigint as ttft_count,
          ${histSum('latency_hist')} as latency_hist, ${histSum('ttft_hist')} as ttft_hist
        from ${t} r where ${where(teamId, f, grain)}`,
  );
  const r = row ?? {};
  const requests = n(r.requests);
  const errors = n(r.errors);
  const lh = (r.latency_hist as number[] | null) ?? [];
  const th = (r.ttft_hist as number[] | null) ?? [];
  const days = Math.max(1 / 24, (f.to.getTime() - f.from.getTime()) / DAY);
  return {
    grain,
    requests,
    errors,
    successRate: requests ? (requests - errors) / requests : null,
    inputTokens: n(r.input_tokens),
    outputTokens: n(r.output_tokens),
    cacheWriteTokens: n(r.cache_write_tokens),
    cacheReadTokens: n(r.cache_read_tokens),
    /** Share of input served from the prompt cache. */
    cacheHitRate:
      n(r.cache_read_tokens) + n(r.input_tokens) + n(r.cache_write_tokens) > 0
        ? n(r.cache_read_tokens) /
          (n(r.cache_read_tokens) + n(r.input_tokens) + n(r.cache_write_tokens))
        : null,
    costUsd: usd(r.cost_usd),
    costPerDayUsd: Number(usd(r.cost_usd)) / days,
    latencyAvgMs: n(r.latency_count) ? n(r.latency_sum) / n(r.latency_count) : null,
    latencyP50Ms: quantile(lh, 0.5),
    latencyP95Ms: quantile(lh, 0.95),
    ttftAvgMs: n(r.ttft_count) ? n(r.ttft_sum) / n(r.ttft_count) : null,
    ttftP50Ms: quantile(th, 0.5),
    ttftP95Ms: quantile(th, 0.95),
  };
}

async function timeseries(ctx: Pick<Context, 'db'>, teamId: string, f: Filter) {
  const grain = grainFor(f);
  const t = sql.raw(TABLE[grain]);
  const list = await rows<Record<string, unknown>>(
    ctx,
    sql`select bucket, sum(requests)::bigint as requests, sum(errors)::bigint as errors,
          sum(input_tokens)::bigint as input_tokens, sum(output_tokens)::bigint as output_tokens,
          sum(cache_write_5m_tokens + cache_write_1h_tokens)::bigint as cache_write_tokens,
          sum(cache_read_tokens)::bigint as cache_read_tokens, sum(cost_usd)::float8 as cost_usd,
          ${histSum('latency_hist')} as latency_hist, ${histSum('ttft_hist')} as ttft_hist
        from ${t} r where ${where(teamId, f, grain)}
        group by bucket order by bucket`,
  );
  const minutes = GRAIN_MS[grain] / 60_000;
  return {
    grain,
    points: list.map((r) => {
      const lh = (r.latency_hist as number[]) ?? [];
      const th = (r.ttft_hist as number[]) ?? [];
      return {
        bucket: new Date(r.bucket as string),
        requests: n(r.requests),
        errors: n(r.errors),
        requestsPerMin: n(r.requests) / minutes,
        inputPerMin: n(r.input_tokens) / minutes,
        outputPerMin: n(r.output_tokens) / minutes,
        cacheWritePerMin: n(r.cache_write_tokens) / minutes,
        cacheReadPerMin: n(r.cache_read_tokens) / minutes,
        costUsd: n(r.cost_usd),
        successRate: n(r.requests) ? (n(r.requests) - n(r.errors)) / n(r.requests) : null,
        latencyP50Ms: quantile(lh, 0.5),
        latencyP95Ms: quantile(lh, 0.95),
        ttftP50Ms: quantile(th, 0.5),
        ttftP95Ms: quantile(th, 0.95),
      };
    }),
  };
}

async function costByModel(ctx: Pick<Context, 'db'>, teamId: string, f: Filter) {
  // Per day, unless the range is short enough for hours.
  const grain: RollupGrain = f.to.getTime() - f.from.getTime() <= 2 * DAY ? 'hour' : 'day';
  const t = sql.raw(TABLE[grain]);
  const list = await rows<{ bucket: string; model: string; cost_usd: number }>(
    ctx,
    sql`select bucket, model, sum(cost_usd)::float8 as cost_usd
        from ${t} r where ${where(teamId, f, grain)}
        group by bucket, model order by bucket, model`,
  );
  const models = [...new Set(list.map((r) => r.model))].sort();
  const byBucket = new Map<number, Record<string, number>>();
  for (const r of list) {
    const key = new Date(r.bucket).getTime();
    const entry = byBucket.get(key) ?? {};
    entry[r.model] = n(r.cost_usd);
    byBucket.set(key, entry);
  }
  return {
    grain,
    models,
    points: [...byBucket.entries()].map(([k, costs]) => ({ bucket: new Date(k), costs })),
  };
}

async function errorTypes(ctx: Pick<Context, 'db'>, teamId: string, f: Filter) {
  const daily = f.to.getTime() - f.from.getTime() > 7 * DAY;
  const bucketExpr = daily ? sql`date_trunc('day', r.bucket, 'UTC')` : sql`r.bucket`;
  const list = await rows<{ bucket: string; error_type: string; errors: number }>(
    ctx,
    sql`select ${bucketExpr} as bucket, error_type, sum(errors)::bigint as errors
        from usage_error_rollup_hour r where ${where(teamId, f, 'hour')}
        group by 1, 2 order by 1, 2`,
  );
  const types = [...new Set(list.map((r) => r.error_type))].sort();
  const byBucket = new Map<number, Record<string, number>>();
  for (const r of list) {
    const key = new Date(r.bucket).getTime();
    const entry = byBucket.get(key) ?? {};
    entry[r.error_type] = n(r.errors);
    byBucket.set(key, entry);
  }
  return {
    grain: daily ? ('day' as const) : ('hour' as const),
    types,
    points: [...byBucket.entries()].map(([k, counts]) => ({ bucket: new Date(k), counts })),
  };
}

function taskWhere(teamId: string, f: Filter, from: Date, to: Date): SQL {
  const parts: SQL[] = [
    sql`r.team_id = ${teamId}`,
    sql`r.first_at >= ${from.toISOString()}`,
    sql`r.first_at < ${to.toISOString()}`,
  ];
  if (f.userId) parts.push(sql`r.user_id = ${f.userId}`);
  if (f.model) parts.push(sql`r.model = ${f.model}`);
  if (f.backend) parts.push(sql`r.backend = ${f.backend}`);
  return sql.join(parts, sql` and `);
}

function dayWhere(teamId: string, f: Filter, from: Date, to: Date): SQL {
  const parts: SQL[] = [
    sql`d.team_id = ${teamId}`,
    sql`d.day >= ${from.toISOString()}`,
    sql`d.day < ${to.toISOString()}`,
  ];
  if (f.userId) parts.push(sql`d.user_id = ${f.userId}`);
  if (f.model) parts.push(sql`d.model = ${f.model}`);
  if (f.backend) parts.push(sql`d.backend = ${f.backend}`);
  return sql.join(parts, sql` and `);
}

async function taskCosts(ctx: Pick<Context, 'db'>, teamId: string, f: Filter) {
  const bounds = sql.raw(`'{${TASK_COST_BOUNDS.join(',')}}'::numeric[]`);
  // The distribution, exact for any range: whole UTC days from the per-day
  // distribution rollup (usage_task_cost_day), the partial days at either end
  // from the per-task rows (by first usage, like the rollup).
  const dayFrom = new Date(Math.ceil(f.from.getTime() / DAY) * DAY);
  const dayTo = new Date(Math.floor(f.to.getTime() / DAY) * DAY);
  const parts: SQL[] = [];
  if (dayFrom.getTime() < dayTo.getTime()) {
    parts.push(
      sql`select d.bucket as b, d.tasks, d.cost_usd as cost from usage_task_cost_day d where ${dayWhere(teamId, f, dayFrom, dayTo)}`,
    );
    for (const [a, b] of [
      [f.from, dayFrom],
      [dayTo, f.to],
    ] as const) {
      if (a.getTime() < b.getTime())
        parts.push(
          sql`select width_bucket(r.cost_usd, ${bounds}), 1::bigint, r.cost_usd from usage_task_rollup r where ${taskWhere(teamId, f, a, b)}`,
        );
    }
  } else {
    parts.push(
      sql`select width_bucket(r.cost_usd, ${bounds}) as b, 1::bigint as tasks, r.cost_usd as cost from usage_task_rollup r where ${taskWhere(teamId, f, f.from, f.to)}`,
    );
  }
  const dist = await rows<{ b: number; tasks: number; cost: string }>(
    ctx,
    sql`select x.b, sum(x.tasks)::int as tasks, sum(x.cost)::text as cost
        from (${sql.join(parts, sql` union all `)}) x group by 1`,
  );
  const hist: number[] = [];
  let taskCount = 0;
  let costSum = 0;
  for (const d of dist) {
    hist[n(d.b)] = n(d.tasks);
    taskCount += n(d.tasks);
    costSum += Number(d.cost);
  }
  const buckets = Array.from({ length: TASK_COST_BOUNDS.length + 1 }, (_, i) => ({
    lo: i === 0 ? 0 : TASK_COST_BOUNDS[i - 1]!,
    hi: i < TASK_COST_BOUNDS.length ? TASK_COST_BOUNDS[i]! : null,
    tasks: n(hist[i]),
  }));
  const top = await rows<Record<string, unknown>>(
    ctx,
    sql`select r.task_id, r.cost_usd::numeric(24,6)::text as cost_usd, r.requests, r.model, r.user_id,
          r.tokens, r.first_at, t.title, left(t.prompt, 120) as prompt_preview, t.status::text as status
        from (select r.task_id, r.cost_usd, r.requests, r.model, r.user_id, r.first_at,
                r.input_tokens + r.output_tokens + r.cache_write_tokens + r.cache_read_tokens as tokens
              from usage_task_rollup r where ${taskWhere(teamId, f, f.from, f.to)}
              order by r.cost_usd desc, r.task_id limit 10) r
        join tasks t on t.id = r.task_id
        order by r.cost_usd desc, r.task_id`,
  );
  return {
    tasks: taskCount,
    avgCostUsd: taskCount ? costSum / taskCount : null,
    buckets,
    top: top.map((r) => ({
      taskId: String(r.task_id),
      title: (r.title as string | null) ?? null,
      promptPreview: String(r.prompt_preview ?? ''),
      status: String(r.status),
      model: String(r.model),
      requests: n(r.requests),
      tokens: n(r.tokens),
      costUsd: usd(r.cost_usd),
      firstAt: new Date(r.first_at as string),
    })),
  };
}

/** 5-hour blocks (as Claude's usage windows) over the last 48 hours up to `to`, with burn rate and projection. */
async function blocks(ctx: Pick<Context, 'db'>, teamId: string, f: Filter, now: Date) {
  const end = f.to.getTime() < now.getTime() ? f.to : now;
  const window: Filter = { ...f, from: new Date(end.getTime() - 2 * DAY), to: end };
  const list = await rows<Record<string, unknown>>(
    ctx,
    sql`select bucket, model, sum(input_tokens)::bigint as i, sum(output_tokens)::bigint as o,
          sum(cache_write_5m_tokens + cache_write_1h_tokens)::bigint as cw, sum(cache_read_tokens)::bigint as cr,
          sum(cost_usd)::float8 as cost
        from usage_rollup_minute r where ${where(teamId, window, 'minute')}
        group by bucket, model order by bucket`,
  );
  const records: UsageEntry[] = list.map((r) => ({
    timestamp: new Date(r.bucket as string),
    model: String(r.model),
    inputTokens: n(r.i),
    outputTokens: n(r.o),
    cacheCreationTokens: n(r.cw),
    cacheReadTokens: n(r.cr),
    costUsd: n(r.cost),
  }));
  const found = identifyBlocks(records, { now: end }).filter((b) => !b.isGap);
  return found.map((b) => {
    const rate = burnRate(b);
    const projection = b.isActive ? projectBlock(b, end) : undefined;
    const t = b.tokenCounts;
    return {
      id: b.id,
      startTime: b.startTime,
      endTime: b.endTime,
      actualEndTime: b.actualEndTime ?? null,
      isActive: b.isActive,
      models: b.models,
      tokens: t.inputTokens + t.outputTokens + t.cacheCreationTokens + t.cacheReadTokens,
      costUsd: b.costUsd,
      burnTokensPerMinute: rate?.tokensPerMinute ?? null,
      burnCostPerHour: rate?.costPerHour ?? null,
      projectedTokens: projection?.totalTokens ?? null,
      projectedCostUsd: projection?.totalCost ?? null,
      remainingMinutes: projection?.remainingMinutes ?? null,
    };
  });
}

/** A plain number (what numeric columns come back as): never a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * One CSV cell. A text that a spreadsheet would run as a formula — starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return (`=HYPERLINK(…)` in a task title) — gets a leading `'`, so it
 * is shown as text (OWASP's CSV injection advice); plain numbers stay numbers. Then quoted when
 * it holds a quote, a comma or a line break.
 */
export function csvCell(v: unknown): string {
  let s = v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], data: unknown[][]): string {
  return [header, ...data].map((row) => row.map(csvCell).join(',')).join('\r\n');
}

export const CSV_DATASETS = [
  'timeseries',
  'costByModel',
  'errorTypes',
  'topTasks',
  'blocks',
] as const;

export const analyticsRouter = createTRPCRouter({
  summary: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => summary(ctx, ctx.team.id, input)),
  timeseries: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => timeseries(ctx, ctx.team.id, input)),
  costByModel: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => costByModel(ctx, ctx.team.id, input)),
  errorTypes: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => errorTypes(ctx, ctx.team.id, input)),
  taskCosts: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => taskCosts(ctx, ctx.team.id, input)),
  blocks: analyticsProcedure
    .input(input)
    .query(({ ctx, input }) => blocks(ctx, ctx.team.id, input, new Date())),

  /** Users and models seen in the team's usage (for the filter menus). */
  facets: analyticsProcedure.query(async ({ ctx }) => {
    const list = await rows<{ user_id: string; model: string; name: string | null }>(
      ctx,
      sql`select distinct r.user_id, r.model, u.name from usage_rollup_day r
          left join users u on u.id = r.user_id
          where r.team_id = ${ctx.team.id} and r.bucket >= now() - interval '400 days'`,
    );
    const users = new Map<string, string>();
    for (const r of list) if (r.user_id) users.set(r.user_id, r.name ?? r.user_id);
    return {
      models: [...new Set(list.map((r) => r.model))].sort(),
      users: [...users.entries()]
        .map(([id, name]) => ({ id, name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }),

  /** Any analytics table as CSV. */
  csv: analyticsProcedure
    .input(checkedRange(filterShape.extend({ dataset: z.enum(CSV_DATASETS, 'Choose a dataset.') })))
    .query(async ({ ctx, input }) => {
      const teamId = ctx.team.id;
      const stamp = `${input.from.toISOString().slice(0, 10)}_${input.to.toISOString().slice(0, 10)}`;
      const filename = `baton-${input.dataset}-${stamp}.csv`;
      switch (input.dataset) {
        case 'timeseries': {
          const ts = await timeseries(ctx, teamId, input);
          const cols = [
            'requests',
            'errors',
            'requestsPerMin',
            'inputPerMin',
            'outputPerMin',
            'cacheWritePerMin',
            'cacheReadPerMin',
            'costUsd',
            'latencyP50Ms',
            'latencyP95Ms',
            'ttftP50Ms',
            'ttftP95Ms',
          ] as const;
          return {
            filename,
            csv: toCsv(
              ['bucket', ...cols],
              ts.points.map((p) => [p.bucket, ...cols.map((c) => p[c])]),
            ),
          };
        }
        case 'costByModel': {
          const c = await costByModel(ctx, teamId, input);
          return {
            filename,
            csv: toCsv(
              ['bucket', ...c.models],
              c.points.map((p) => [p.bucket, ...c.models.map((m) => p.costs[m] ?? 0)]),
            ),
          };
        }
        case 'errorTypes': {
          const e = await errorTypes(ctx, teamId, input);
          return {
            filename,
            csv: toCsv(
              ['bucket', ...e.types],
              e.points.map((p) => [p.bucket, ...e.types.map((t) => p.counts[t] ?? 0)]),
            ),
          };
        }
        case 'topTasks': {
          const t = await taskCosts(ctx, teamId, input);
          return {
            filename,
            csv: toCsv(
              ['task_id', 'title', 'status', 'model', 'requests', 'tokens', 'cost_usd', 'first_at'],
              t.top.map((r) => [
                r.taskId,
                r.title ?? r.promptPreview,
                r.status,
                r.model,
                r.requests,
                r.tokens,
                r.costUsd,
                r.firstAt,
              ]),
            ),
          };
        }
        case 'blocks': {
          const b = await blocks(ctx, teamId, input, new Date());
          return {
            filename,
            csv: toCsv(
              [
                'start',
                'end',
                'active',
                'tokens',
                'cost_usd',
                'burn_tokens_per_min',
                'projected_cost_usd',
              ],
              b.map((x) => [
                x.startTime,
                x.endTime,
                x.isActive,
                x.tokens,
                x.costUsd,
                x.burnTokensPerMinute,
                x.projectedCostUsd,
              ]),
            ),
          };
        }
        default:
          throw new AppError('BAD_REQUEST', 'Unknown dataset.', { field: 'dataset' });
      }
    }),
});
