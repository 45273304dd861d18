'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useId, useMemo, useState } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useTRPC } from '@/trpc/react';
import { Card, CardHeader, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { Button, inputClass } from '../ui/form';
import { formatInt, formatUsd } from '../ui/format';
import { Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';

const RANGES = [
  { key: '6h', label: '6h', ms: 6 * 3_600_000 },
  { key: '24h', label: '24h', ms: 86_400_000 },
  { key: '7d', label: '7d', ms: 7 * 86_400_000 },
  { key: '30d', label: '30d', ms: 30 * 86_400_000 },
  { key: '90d', label: '90d', ms: 90 * 86_400_000 },
] as const;
const COLORS = ['#6366f1', '#10b981', '#f59e0b', '#ef4444', '#06b6d4', '#a855f7', '#84cc16'];
const DATASETS = ['timeseries', 'costByModel', 'errorTypes', 'topTasks', 'blocks'] as const;

function tick(grain: string) {
  return (v: number | string) => {
    const d = new Date(v);
    return grain === 'day'
      ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
}
const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
const pctFmt = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
/** Axis ticks: two significant digits, so small rates (0.0135/min) fit the axis. */
const axisNumber = new Intl.NumberFormat('en', {
  notation: 'compact',
  maximumSignificantDigits: 2,
});

function ChartCard({
  title,
  description,
  children,
  state,
}: {
  title: string;
  description?: string;
  children: ReactNode;
  state: {
    isPending: boolean;
    isError: boolean;
    error: unknown;
    refetch: () => void;
    empty: boolean;
  };
}) {
  return (
    <Card>
      <CardHeader title={title} description={description} />
      <div className="h-64 p-3">
        {state.isPending ? (
          <Skeleton className="h-full w-full" />
        ) : state.isError ? (
          <ErrorState error={state.error} onRetry={state.refetch} />
        ) : state.empty ? (
          <EmptyState
            title="No usage in this range"
            description="Pick a longer range or clear the filters."
          />
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            {children as React.ReactElement}
          </ResponsiveContainer>
        )}
      </div>
    </Card>
  );
}

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <Card className="p-4">
      <p className="text-xs text-zinc-500 dark:text-zinc-400">{label}</p>
      <div className="mt-1 text-lg font-semibold tabular">{value}</div>
      {hint ? <div className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{hint}</div> : null}
    </Card>
  );
}

const tooltipStyle = {
  contentStyle: { fontSize: 12, borderRadius: 8 },
  labelFormatter: (v: unknown) => new Date(v as number).toLocaleString(),
};

export function AnalyticsDashboard({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [range, setRange] = useState<(typeof RANGES)[number]['key']>('7d');
  const [anchor] = useState(() => Math.ceil(Date.now() / 60_000) * 60_000);
  const [model, setModel] = useState('');
  const [backend, setBackend] = useState<'' | 'api' | 'claude-code'>('');
  const [userId, setUserId] = useState('');
  const [csvError, setCsvError] = useState<string | null>(null);
  const input = useMemo(() => {
    const span = RANGES.find((r) => r.key === range)!.ms;
    return {
      teamId,
      from: new Date(anchor - span),
      to: new Date(anchor),
      model: model || undefined,
      backend: backend || undefined,
      userId: userId || undefined,
    };
  }, [teamId, range, anchor, model, backend, userId]);

  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const facets = useQuery(trpc.analytics.facets.queryOptions({ teamId }));
  const summary = useQuery(trpc.analytics.summary.queryOptions(input));
  const series = useQuery(trpc.analytics.timeseries.queryOptions(input));
  const byModel = useQuery(trpc.analytics.costByModel.queryOptions(input));
  const errors = useQuery(trpc.analytics.errorTypes.queryOptions(input));
  const taskCosts = useQuery(trpc.analytics.taskCosts.queryOptions(input));
  const blocks = useQuery(trpc.analytics.blocks.queryOptions(input));

  const st = (
    q: { isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown },
    empty: boolean,
  ) => ({
    isPending: q.isPending,
    isError: q.isError,
    error: q.error,
    refetch: () => void q.refetch(),
    empty,
  });
  const grain = series.data?.grain ?? 'hour';
  const points = (series.data?.points ?? []).map((p) => ({ ...p, t: p.bucket.getTime() }));
  const costPoints = (byModel.data?.points ?? []).map((p) => ({
    t: p.bucket.getTime(),
    ...p.costs,
  }));
  const errorPoints = (errors.data?.points ?? []).map((p) => ({
    t: p.bucket.getTime(),
    ...p.counts,
  }));

  async function downloadCsv(dataset: (typeof DATASETS)[number]) {
    setCsvError(null);
    try {
      const { filename, csv } = await queryClient.fetchQuery(
        trpc.analytics.csv.queryOptions({ ...input, dataset }),
      );
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setCsvError(err instanceof Error ? err.message : 'Export failed.');
    }
  }

  const s = summary.data;
  return (
    <div className="space-y-4">
      <PageHeader
        title={team.data ? `${team.data.name} analytics` : 'Analytics'}
        description="From usage rollups, updated as responses arrive."
        actions={
          <nav
            aria-label="Time range"
            className="flex gap-1 rounded-lg bg-zinc-100 p-1 dark:bg-zinc-900"
          >
            {RANGES.map((r) => (
              <button
                key={r.key}
                type="button"
                aria-pressed={range === r.key}
                onClick={() => setRange(r.key)}
                className={cn(
                  'rounded-md px-2.5 py-1 text-sm',
                  range === r.key
                    ? 'bg-white font-medium shadow-xs dark:bg-zinc-800'
                    : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400',
                )}
              >
                {r.label}
              </button>
            ))}
          </nav>
        }
      />
      <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
        <label className="sr-only" htmlFor={`${id}-model`}>
          Model
        </label>
        <select
          id={`${id}-model`}
          value={model}
          onChange={(e) => setModel(e.target.value)}
          className={cn(inputClass(), 'py-1.5')}
        >
          <option value="">All models</option>
          {facets.data?.models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor={`${id}-backend`}>
          Backend
        </label>
        <select
          id={`${id}-backend`}
          value={backend}
          onChange={(e) => setBackend(e.target.value as typeof backend)}
          className={cn(inputClass(), 'py-1.5')}
        >
          <option value="">All backends</option>
          <option value="api">api</option>
          <option value="claude-code">claude-code</option>
        </select>
        <label className="sr-only" htmlFor={`${id}-user`}>
          User
        </label>
        <select
          id={`${id}-user`}
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          className={cn(inputClass(), 'py-1.5')}
        >
          <option value="">All users</option>
          {facets.data?.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </div>
      {summary.isError ? (
        <Card>
          <ErrorState error={summary.error} onRetry={() => summary.refetch()} />
        </Card>
      ) : (
        <div className="grid grid-cols-2 gap-3 lg:grid-cols-6" data-testid="analytics-summary">
          <Stat
            label="Cost"
            value={s ? formatUsd(s.costUsd) : <Skeleton className="h-6 w-16" />}
            hint={s ? `${formatUsd(s.costPerDayUsd.toFixed(4))}/day` : null}
          />
          <Stat
            label="Requests"
            value={s ? formatInt(s.requests) : <Skeleton className="h-6 w-16" />}
            hint={s ? `${formatInt(s.errors)} errors` : null}
          />
          <Stat
            label="Success rate"
            value={s ? pctFmt(s.successRate) : <Skeleton className="h-6 w-16" />}
          />
          <Stat
            label="Cache hit rate"
            value={s ? pctFmt(s.cacheHitRate) : <Skeleton className="h-6 w-16" />}
            hint={s ? `${compact.format(s.cacheReadTokens)} tokens read from cache` : null}
          />
          <Stat
            label="Latency p50 / p95"
            value={s ? `${ms(s.latencyP50Ms)}` : <Skeleton className="h-6 w-16" />}
            hint={s ? `p95 ${ms(s.latencyP95Ms)}` : null}
          />
          <Stat
            label="TTFT p50 / p95"
            value={s ? `${ms(s.ttftP50Ms)}` : <Skeleton className="h-6 w-16" />}
            hint={s ? `p95 ${ms(s.ttftP95Ms)}` : null}
          />
        </div>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <ChartCard
          title="Requests per minute"
          description="With errors"
          state={st(series, points.length === 0)}
        >
          <LineChart data={points}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={tick(grain)}
              fontSize={11}
            />
            <YAxis fontSize={11} width={48} tickFormatter={(v) => axisNumber.format(v)} />
            <Tooltip {...tooltipStyle} />
            <Legend />
            <Line
              type="monotone"
              dataKey="requestsPerMin"
              name="requests/min"
              stroke={COLORS[0]}
              dot={false}
            />
          </LineChart>
        </ChartCard>
        <ChartCard
          title="Tokens per minute"
          description="By kind"
          state={st(series, points.length === 0)}
        >
          <AreaChart data={points}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={tick(grain)}
              fontSize={11}
            />
            <YAxis fontSize={11} width={48} tickFormatter={(v) => compact.format(v)} />
            <Tooltip {...tooltipStyle} formatter={(v) => compact.format(Number(v))} />
            <Legend />
            <Area
              stackId="t"
              dataKey="inputPerMin"
              name="input"
              fill={COLORS[0]}
              stroke={COLORS[0]}
            />
            <Area
              stackId="t"
              dataKey="outputPerMin"
              name="output"
              fill={COLORS[1]}
              stroke={COLORS[1]}
            />
            <Area
              stackId="t"
              dataKey="cacheWritePerMin"
              name="cache write"
              fill={COLORS[2]}
              stroke={COLORS[2]}
            />
            <Area
              stackId="t"
              dataKey="cacheReadPerMin"
              name="cache read"
              fill={COLORS[4]}
              stroke={COLORS[4]}
            />
          </AreaChart>
        </ChartCard>
        <ChartCard
          title="Cost by model"
          description={`Per ${byModel.data?.grain ?? 'day'}, stacked`}
          state={st(byModel, costPoints.length === 0)}
        >
          <BarChart data={costPoints}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis dataKey="t" tickFormatter={tick(byModel.data?.grain ?? 'day')} fontSize={11} />
            <YAxis fontSize={11} width={52} tickFormatter={(v) => `$${axisNumber.format(v)}`} />
            <Tooltip {...tooltipStyle} formatter={(v) => `$${Number(v).toFixed(4)}`} />
            <Legend />
            {byModel.data?.models.map((m, i) => (
              <Bar key={m} dataKey={m} stackId="c" fill={COLORS[i % COLORS.length]} />
            ))}
          </BarChart>
        </ChartCard>
        <ChartCard
          title="Latency and time to first token"
          description="p50 / p95"
          state={st(series, points.length === 0)}
        >
          <LineChart data={points}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={tick(grain)}
              fontSize={11}
            />
            <YAxis fontSize={11} width={48} tickFormatter={(v) => `${axisNumber.format(v)}ms`} />
            <Tooltip {...tooltipStyle} formatter={(v) => ms(Number(v))} />
            <Legend />
            <Line dataKey="latencyP50Ms" name="latency p50" stroke={COLORS[0]} dot={false} />
            <Line dataKey="latencyP95Ms" name="latency p95" stroke={COLORS[5]} dot={false} />
            <Line dataKey="ttftP50Ms" name="TTFT p50" stroke={COLORS[1]} dot={false} />
            <Line dataKey="ttftP95Ms" name="TTFT p95" stroke={COLORS[2]} dot={false} />
          </LineChart>
        </ChartCard>
        <ChartCard
          title="Errors by type"
          description={`Per ${errors.data?.grain ?? 'hour'}`}
          state={st(errors, errorPoints.length === 0)}
        >
          <BarChart data={errorPoints}>
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis dataKey="t" tickFormatter={tick(errors.data?.grain ?? 'hour')} fontSize={11} />
            <YAxis fontSize={11} width={40} allowDecimals={false} />
            <Tooltip {...tooltipStyle} />
            <Legend />
            {errors.data?.types.map((t, i) => (
              <Bar key={t} dataKey={t} stackId="e" fill={COLORS[(i + 3) % COLORS.length]} />
            ))}
          </BarChart>
        </ChartCard>
        <ChartCard
          title="Cost per task"
          description={taskCosts.data ? `${formatInt(taskCosts.data.tasks)} tasks` : undefined}
          state={st(taskCosts, (taskCosts.data?.tasks ?? 0) === 0)}
        >
          <BarChart
            data={(taskCosts.data?.buckets ?? []).map((b) => ({
              ...b,
              label: b.hi === null ? `≥ $${b.lo}` : `< $${b.hi}`,
            }))}
          >
            <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.2} />
            <XAxis dataKey="label" fontSize={11} />
            <YAxis fontSize={11} width={40} allowDecimals={false} />
            <Tooltip contentStyle={{ fontSize: 12, borderRadius: 8 }} />
            <Legend />
            <Bar dataKey="tasks" name="tasks" fill={COLORS[0]} />
          </BarChart>
        </ChartCard>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader
            title="Top tasks by cost"
            action={<Button onClick={() => downloadCsv('topTasks')}>CSV</Button>}
          />
          {taskCosts.isPending ? (
            <Skeleton className="m-5 h-24" />
          ) : taskCosts.isError ? (
            <ErrorState error={taskCosts.error} onRetry={() => taskCosts.refetch()} />
          ) : taskCosts.data.top.length === 0 ? (
            <EmptyState title="No tasks with usage in this range" />
          ) : (
            <table className="w-full text-left text-sm" data-testid="top-tasks">
              <thead className="text-xs text-zinc-500">
                <tr>
                  <th className="px-5 py-2 font-medium">Task</th>
                  <th className="px-3 py-2 text-right font-medium">Requests</th>
                  <th className="px-5 py-2 text-right font-medium">Cost</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {taskCosts.data.top.map((t) => (
                  <tr key={t.taskId}>
                    <td className="max-w-0 truncate px-5 py-2">
                      <Link className="hover:underline" href={`/teams/${teamId}/tasks/${t.taskId}`}>
                        {t.title || t.promptPreview}
                      </Link>
                    </td>
                    <td className="px-3 py-2 text-right tabular">{formatInt(t.requests)}</td>
                    <td className="px-5 py-2 text-right tabular">{formatUsd(t.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card>
          <CardHeader
            title="5-hour blocks"
            description="Last 48 hours: burn rate and projection"
            action={<Button onClick={() => downloadCsv('blocks')}>CSV</Button>}
          />
          {blocks.isPending ? (
            <Skeleton className="m-5 h-24" />
          ) : blocks.isError ? (
            <ErrorState error={blocks.error} onRetry={() => blocks.refetch()} />
          ) : blocks.data.length === 0 ? (
            <EmptyState title="No blocks in the last 48 hours" />
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {blocks.data.map((b) => (
                <li
                  key={b.id}
                  className="flex flex-wrap items-center justify-between gap-2 px-5 py-2 text-sm"
                >
                  <span>
                    {b.startTime.toLocaleString(undefined, {
                      month: 'short',
                      day: 'numeric',
                      hour: '2-digit',
                      minute: '2-digit',
                    })}
                    {b.isActive ? (
                      <span className="ml-2 rounded bg-brand-50 px-1.5 py-0.5 text-xs text-brand-700 dark:bg-brand-700/20 dark:text-brand-100">
                        active
                      </span>
                    ) : null}
                  </span>
                  <span className="text-xs text-zinc-500 tabular dark:text-zinc-400">
                    {compact.format(b.tokens)} tokens · ${b.costUsd.toFixed(4)}
                    {b.burnTokensPerMinute !== null
                      ? ` · ${compact.format(b.burnTokensPerMinute)} tok/min`
                      : ''}
                    {b.projectedCostUsd !== null
                      ? ` · projected $${b.projectedCostUsd.toFixed(4)}`
                      : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="text-zinc-500 dark:text-zinc-400">Export CSV:</span>
        {DATASETS.map((d) => (
          <Button key={d} onClick={() => downloadCsv(d)}>
            {d}
          </Button>
        ))}
        {csvError ? (
          <span role="alert" className="text-xs text-bad">
            {csvError}
          </span>
        ) : null}
      </div>
    </div>
  );
}
