'use client';

import type { RouterOutputs } from '@baton/api';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/react';
import { BudgetOverviewCard } from '../budget/budget-overview';
import { Badge, STATUS_META, StatusBadge } from '../ui/badges';
import { Card, CardHeader, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { formatInt, formatMs } from '../ui/format';
import { ChevronRightIcon, DatabaseIcon, RefreshIcon, UsersIcon } from '../ui/icons';
import { RelativeTime } from '../ui/relative-time';
import { LoadingLabel, Skeleton, TableSkeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';

type Health = RouterOutputs['system']['health'];
type TaskOverview = RouterOutputs['task']['overview'];

const STATUS_ORDER = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'budget_exceeded',
] as const;

const HEALTH_LABEL: Record<Health['status'], { label: string; tone: 'ok' | 'warn' | 'bad' }> = {
  ok: { label: 'Operational', tone: 'ok' },
  degraded: { label: 'Degraded', tone: 'warn' },
  down: { label: 'Down', tone: 'bad' },
};

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex items-baseline justify-between gap-4 py-2.5">
      <dt className="text-sm text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="min-w-0 truncate text-right text-sm font-medium text-zinc-900 tabular dark:text-zinc-100">
        {children}
      </dd>
    </div>
  );
}

function HealthCard() {
  const trpc = useTRPC();
  const health = useQuery(trpc.system.health.queryOptions());
  const refresh = (
    <button
      type="button"
      onClick={() => health.refetch()}
      disabled={health.isFetching}
      aria-label="Refresh system health"
      title="Refresh"
      className="inline-flex size-7 items-center justify-center rounded-md text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 disabled:opacity-60 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
    >
      <RefreshIcon className={health.isFetching ? 'animate-spin' : undefined} />
    </button>
  );
  return (
    <Card>
      <CardHeader
        title="System health"
        description="Database, migrations and versions"
        action={refresh}
      />
      <div className="px-5 py-2">
        {health.isPending ? (
          <div className="space-y-4 py-3">
            <LoadingLabel label="Loading system health" />
            <Skeleton className="h-6 w-28" />
            <Skeleton className="h-4 w-full" />
            <Skeleton className="h-4 w-full" />
            <Skeleton className="h-4 w-3/4" />
          </div>
        ) : health.isError ? (
          <ErrorState
            error={health.error}
            onRetry={() => health.refetch()}
            retrying={health.isFetching}
          />
        ) : (
          <HealthDetails health={health.data} />
        )}
      </div>
    </Card>
  );
}

function HealthDetails({ health }: { health: Health }) {
  const status = HEALTH_LABEL[health.status];
  const { database, migrations } = health;
  return (
    <>
      <div className="flex items-center gap-3 py-3">
        <span
          className={cn(
            'flex size-9 items-center justify-center rounded-lg',
            status.tone === 'ok' && 'bg-emerald-50 text-ok dark:bg-emerald-950/50',
            status.tone === 'warn' && 'bg-amber-50 text-warn dark:bg-amber-950/40',
            status.tone === 'bad' && 'bg-red-50 text-bad dark:bg-red-950/50',
          )}
        >
          <DatabaseIcon width={18} height={18} />
        </span>
        <div>
          <Badge tone={status.tone}>{status.label}</Badge>
          <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
            Checked <RelativeTime date={health.checkedAt} />
          </p>
        </div>
      </div>
      <dl className="divide-y divide-zinc-100 dark:divide-zinc-800">
        <Row label="Database">
          {database.ok ? (
            <span>
              Reachable <span className="text-zinc-400">·</span> {formatMs(database.latencyMs)}
            </span>
          ) : (
            <span className="text-bad" title={database.error}>
              Unreachable
            </span>
          )}
        </Row>
        <Row label="PostgreSQL">
          {database.ok ? (
            <span title={database.serverVersion}>{database.serverVersion.split(' ')[0]}</span>
          ) : (
            '—'
          )}
        </Row>
        <Row label="Migrations">
          {migrations.ok ? (
            migrations.pending > 0 ? (
              <span className="text-amber-600 dark:text-amber-400">
                {migrations.pending} pending of {migrations.total}
              </span>
            ) : (
              <span title={migrations.latest ?? undefined}>
                {migrations.applied} of {migrations.total} applied
              </span>
            )
          ) : (
            <span className="text-bad" title={migrations.error}>
              Unknown
            </span>
          )}
        </Row>
        <Row label="Version">
          <span className="font-mono text-xs">
            {health.version.baton} <span className="text-zinc-400">· node</span>{' '}
            {health.version.node}
          </span>
        </Row>
      </dl>
    </>
  );
}

function TaskCountsCard({ query }: { query: ReturnType<typeof useOverview> }) {
  return (
    <Card className="lg:col-span-2">
      <CardHeader
        title="Tasks by status"
        description="Across all your teams"
        action={
          query.data ? (
            <span className="text-sm text-zinc-500 tabular dark:text-zinc-400">
              <span className="font-semibold text-zinc-900 dark:text-zinc-100">
                {formatInt(query.data.counts.total)}
              </span>{' '}
              total
            </span>
          ) : null
        }
      />
      {query.isPending ? (
        <div className="grid grid-cols-2 gap-px sm:grid-cols-3">
          <LoadingLabel label="Loading task counts" />
          {STATUS_ORDER.map((s) => (
            <div key={s} className="space-y-3 p-5">
              <Skeleton className="h-3 w-16" />
              <Skeleton className="h-7 w-12" />
            </div>
          ))}
        </div>
      ) : query.isError ? (
        <ErrorState
          error={query.error}
          onRetry={() => query.refetch()}
          retrying={query.isFetching}
        />
      ) : (
        <CountsGrid counts={query.data.counts} />
      )}
    </Card>
  );
}

function CountsGrid({ counts }: { counts: TaskOverview['counts'] }) {
  return (
    <div>
      <div
        className="mx-5 mt-5 flex h-2 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800"
        role="img"
        aria-label={STATUS_ORDER.map((s) => `${STATUS_META[s].label} ${counts[s]}`).join(', ')}
      >
        {counts.total > 0
          ? STATUS_ORDER.map((s) =>
              counts[s] > 0 ? (
                <div
                  key={s}
                  className={STATUS_META[s].dot}
                  style={{ width: `${(counts[s] / counts.total) * 100}%` }}
                />
              ) : null,
            )
          : null}
      </div>
      <dl className="grid grid-cols-2 sm:grid-cols-3">
        {STATUS_ORDER.map((s) => (
          <div key={s} className="px-5 py-4">
            <dt className="flex items-center gap-2 text-xs font-medium text-zinc-500 dark:text-zinc-400">
              <span aria-hidden="true" className={cn('size-2 rounded-full', STATUS_META[s].dot)} />
              {STATUS_META[s].label}
            </dt>
            <dd className="mt-1.5 text-2xl font-semibold tracking-tight text-zinc-900 tabular dark:text-zinc-50">
              {formatInt(counts[s])}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function TeamsCard() {
  const trpc = useTRPC();
  const teams = useQuery(trpc.team.list.queryOptions());
  return (
    <Card>
      <CardHeader title="Teams" description="Where you are a member" />
      {teams.isPending ? (
        <TableSkeleton rows={3} columns={2} />
      ) : teams.isError ? (
        <ErrorState
          error={teams.error}
          onRetry={() => teams.refetch()}
          retrying={teams.isFetching}
        />
      ) : teams.data.length === 0 ? (
        <EmptyState
          icon={<UsersIcon width={18} height={18} />}
          title="No teams yet"
          description="Ask a team owner or admin for an invitation link, or create a team."
        />
      ) : (
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {teams.data.map((team) => (
            <li key={team.id}>
              <Link
                href={`/teams/${team.id}/tasks`}
                className="group flex items-center gap-3 px-5 py-3 hover:bg-zinc-50 focus-visible:bg-zinc-50 dark:hover:bg-zinc-800/40 dark:focus-visible:bg-zinc-800/40"
              >
                <span
                  aria-hidden="true"
                  className="flex size-8 shrink-0 items-center justify-center rounded-md bg-zinc-100 text-sm font-semibold text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
                >
                  {team.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="min-w-0 flex-1">
                  <span className="block truncate text-sm font-medium text-zinc-900 dark:text-zinc-100">
                    {team.name}
                  </span>
                  <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">
                    {team.slug} · {team.memberCount} {team.memberCount === 1 ? 'member' : 'members'}
                  </span>
                </span>
                {team.openAlerts > 0 ? (
                  <Badge tone="bad">
                    {team.openAlerts} open {team.openAlerts === 1 ? 'alert' : 'alerts'}
                  </Badge>
                ) : null}
                <Badge tone={team.role === 'owner' ? 'brand' : 'neutral'}>{team.role}</Badge>
                <ChevronRightIcon className="text-zinc-300 group-hover:text-zinc-500 dark:text-zinc-600" />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function LatestTasksCard({ query }: { query: ReturnType<typeof useOverview> }) {
  return (
    <Card className="lg:col-span-2">
      <CardHeader title="Latest tasks" description="The most recent work across your teams" />
      {query.isPending ? (
        <TableSkeleton rows={5} columns={4} />
      ) : query.isError ? (
        <ErrorState
          error={query.error}
          onRetry={() => query.refetch()}
          retrying={query.isFetching}
        />
      ) : query.data.latest.length === 0 ? (
        <EmptyState
          title="No tasks yet"
          description="Tasks submitted to your teams will show up here as the fleet picks them up."
        />
      ) : (
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {query.data.latest.map((task) => (
            <li key={task.id} className="flex items-center gap-3 px-5 py-3">
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm font-medium text-zinc-900 dark:text-zinc-100">
                  {task.title || task.promptPreview}
                </p>
                <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400">
                  <Link
                    href={`/teams/${task.teamId}/tasks`}
                    className="hover:text-zinc-900 hover:underline dark:hover:text-zinc-100"
                  >
                    {task.teamName}
                  </Link>
                  <span className="px-1 text-zinc-300 dark:text-zinc-600">·</span>
                  <span className="font-mono">{task.model}</span>
                  <span className="px-1 text-zinc-300 dark:text-zinc-600">·</span>
                  <RelativeTime date={task.createdAt} />
                </p>
              </div>
              <StatusBadge status={task.status} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function useOverview() {
  const trpc = useTRPC();
  return useQuery(trpc.task.overview.queryOptions({ latest: 8 }));
}

export function Overview() {
  const overview = useOverview();
  return (
    <>
      <PageHeader
        title="Overview"
        description="The health of this installation and the work across your teams."
      />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3 lg:gap-6">
        <HealthCard />
        <TaskCountsCard query={overview} />
        <TeamsCard />
        <LatestTasksCard query={overview} />
        <BudgetOverviewCard className="lg:col-span-3" />
      </div>
    </>
  );
}

/** The route-level skeleton (loading.tsx) while the server prefetches. */
export function OverviewSkeleton() {
  return (
    <div>
      <LoadingLabel label="Loading the overview" />
      <div className="mb-6 space-y-2">
        <Skeleton className="h-6 w-32" />
        <Skeleton className="h-4 w-80 max-w-full" />
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3 lg:gap-6">
        <Skeleton className="h-72 rounded-xl" />
        <Skeleton className="h-72 rounded-xl lg:col-span-2" />
        <Skeleton className="h-64 rounded-xl" />
        <Skeleton className="h-64 rounded-xl lg:col-span-2" />
        <Skeleton className="h-40 rounded-xl lg:col-span-3" />
      </div>
    </div>
  );
}
