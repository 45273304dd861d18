'use client';

import type { RouterOutputs } from '@baton/api';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardSection, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { formatInt, shortId } from '../ui/format';
import { ItemList } from '../ui/list';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { DataTable, Td } from '../ui/table';

type Live = RouterOutputs['live']['overview'];

export const LIVE_REFRESH_MS = 3_000;

const DIMENSION_LABELS: Record<string, string> = {
  requests: 'Requests/min',
  inputTokens: 'Input tokens/min',
  outputTokens: 'Output tokens/min',
  tokens: 'Tokens/min',
};

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <Card className="p-4">
      <div className="text-xs text-zinc-500 dark:text-zinc-400">{label}</div>
      <div className="mt-1 text-lg font-semibold tabular">{value}</div>
      {hint ? <div className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{hint}</div> : null}
    </Card>
  );
}

/** Remaining share of a bucket as a bar (the numbers beside it are what screen readers get). */
function Meter({ remaining, limit }: { remaining: number; limit: number }) {
  const pct = limit > 0 ? Math.max(0, Math.min(100, (remaining / limit) * 100)) : 0;
  return (
    <div
      aria-hidden="true"
      className="h-1.5 w-full overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800"
    >
      <div
        className={cn(
          'h-full rounded-full',
          pct < 10 ? 'bg-red-500' : pct < 35 ? 'bg-amber-500' : 'bg-emerald-500',
        )}
        style={{ width: `${pct}%` }}
      />
    </div>
  );
}

function RateLimits({ limits, at }: { limits: Live['limits']; at: Date }) {
  if (!limits.available || limits.scopes.length === 0) {
    return (
      <EmptyState
        title="No rate-limit state yet"
        description="Buckets appear after the first request through the shared limiter."
      />
    );
  }
  return (
    <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
      {limits.scopes.map((s) => (
        <li key={s.scope} className="space-y-3 px-5 py-4">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <span className="font-mono text-sm break-all">{s.scope}</span>
            {s.pausedUntil ? (
              <Badge tone="bad">paused until {s.pausedUntil.toISOString().slice(11, 19)} UTC</Badge>
            ) : (
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                seen <RelativeTime date={s.updatedAt} />
              </span>
            )}
          </div>
          <dl className="grid gap-3 sm:grid-cols-2">
            {s.dimensions.map((d) => (
              <div key={d.dimension} className="space-y-1">
                <dt className="flex justify-between gap-2 text-xs text-zinc-500 dark:text-zinc-400">
                  <span>{DIMENSION_LABELS[d.dimension] ?? d.dimension}</span>
                  <span className="tabular">
                    {d.remaining >= d.limit
                      ? 'full'
                      : `full in ${Math.max(1, Math.ceil((d.resetAt.getTime() - at.getTime()) / 1000))} s`}
                  </span>
                </dt>
                <dd className="space-y-1">
                  <Meter remaining={d.remaining} limit={d.limit} />
                  <div className="text-xs tabular text-zinc-700 dark:text-zinc-300">
                    {formatInt(d.remaining)} / {formatInt(d.limit)} remaining
                  </div>
                </dd>
              </div>
            ))}
          </dl>
        </li>
      ))}
    </ul>
  );
}

const WORKER_TONE = { busy: 'brand', idle: 'ok', stale: 'warn', stopped: 'neutral' } as const;
const BREAKER_TONE = { closed: 'ok', 'half-open': 'warn', open: 'bad', isolated: 'bad' } as const;

/** How a worker confines claude-code tasks (from its heartbeat), and why not when it cannot. */
function WorkerSandbox({ sandbox }: { sandbox: Live['workers'][number]['sandbox'] }) {
  if (!sandbox) return <span className="text-xs text-zinc-500 dark:text-zinc-400">—</span>;
  const [tone, label] =
    sandbox.mode === 'off'
      ? (['warn', 'off'] as const)
      : sandbox.ok
        ? (['ok', 'sandboxed'] as const)
        : (['bad', 'unavailable'] as const);
  // Short in the cell (the table is narrow); the whole story in the title.
  const version = sandbox.version?.replace(/^bubblewrap\s*/i, '');
  const detail =
    sandbox.mode === 'off' ? 'unconfined' : sandbox.ok ? sandbox.resources : sandbox.reason;
  const title =
    sandbox.mode === 'off'
      ? 'BATON_SANDBOX=off: claude-code tasks run unconfined on this worker'
      : [
          version && `bubblewrap ${version}`,
          sandbox.resources && `limits through ${sandbox.resources}`,
          sandbox.reason,
        ]
          .filter(Boolean)
          .join(' · ');
  return (
    <span className="inline-flex flex-col items-end gap-0.5" data-sandbox={label} title={title}>
      <Badge tone={tone}>{label}</Badge>
      {detail ? (
        <span className="max-w-56 text-xs break-words text-zinc-500 dark:text-zinc-400">
          {detail}
        </span>
      ) : null}
    </span>
  );
}

function Workers({ workers }: { workers: Live['workers'] }) {
  return (
    <DataTable
      head={['Worker', 'State', 'Sandbox', 'Tasks', 'Session pool', 'Connections', 'Heartbeat']}
      rows={workers}
      empty={{
        title: 'No worker connected',
        description:
          'Start one with `pnpm baton start` or `pnpm baton worker`; queued tasks wait until then.',
      }}
    >
      {(w) => {
        const hb = w.heartbeat;
        return (
          <tr key={w.id}>
            <Td className="font-mono text-xs break-all">{w.id}</Td>
            <Td className="text-right">
              <Badge tone={WORKER_TONE[w.status]}>{w.status}</Badge>
            </Td>
            <Td className="text-right">
              <WorkerSandbox sandbox={w.sandbox} />
            </Td>
            <Td className="text-right tabular">{hb ? `${hb.running} / ${hb.concurrency}` : '—'}</Td>
            <Td className="text-right tabular">
              {hb?.pool ? (
                <span
                  data-pool-in-use={hb.pool.active}
                  title="In use: the sessions of tasks running here. Cached: finished tasks' sessions kept in memory for a quick resume (their rows are idle or closed). Waiting: tasks waiting for a free session."
                >
                  {hb.pool.active}
                  {hb.pool.max ? ` / ${hb.pool.max}` : ''} in use
                  {hb.pool.idle ? ` · ${hb.pool.idle} cached` : ''}
                  {hb.pool.waiting ? ` · ${hb.pool.waiting} waiting` : ''}
                </span>
              ) : (
                '—'
              )}
            </Td>
            <Td className="text-right tabular">{w.connections}</Td>
            <Td className="text-right text-xs whitespace-nowrap">
              {hb ? (
                <RelativeTime date={hb.at} />
              ) : w.connectedSince ? (
                <>
                  connected <RelativeTime date={w.connectedSince} />
                </>
              ) : (
                '—'
              )}
            </Td>
          </tr>
        );
      }}
    </DataTable>
  );
}

function Breakers({ breakers }: { breakers: Live['breakers'] }) {
  return (
    <DataTable
      head={['Provider / model', 'State', 'Workers']}
      rows={breakers}
      empty={{
        title: 'No breakers yet',
        description: 'A breaker appears for each provider and model once a worker has called it.',
      }}
    >
      {(b) => (
        <tr key={`${b.provider}/${b.model}`}>
          <Td>
            <span className="text-xs text-zinc-500 dark:text-zinc-400">{b.provider} / </span>
            <span className="font-mono text-xs">{b.model}</span>
          </Td>
          <Td className="text-right">
            <Badge tone={BREAKER_TONE[b.state]}>{b.state}</Badge>
          </Td>
          <Td className="text-right text-xs text-zinc-500 dark:text-zinc-400">
            {b.workers.filter((w) => w.state !== 'closed').length > 0
              ? b.workers
                  .filter((w) => w.state !== 'closed')
                  .map((w) => `${w.id}: ${w.state}`)
                  .join(', ')
              : `${b.workers.length} closed`}
          </Td>
        </tr>
      )}
    </DataTable>
  );
}

/**
 * How the fleet's active sessions compare with what the workers' pools hold (the Workers
 * table's "in use", from heartbeats up to 5 s old): the same sessions, seen from both sides.
 */
function SessionsSummary({ d }: { d: Live }) {
  const { active, inPools } = d.fleetSessions;
  return (
    <span data-testid="fleet-sessions" data-active={active} data-in-pools={inPools}>
      One per running task, held by a worker&apos;s session pool. Fleet: {formatInt(active)} active
      · {formatInt(inPools)} in use in the workers&apos; pools
    </span>
  );
}

function Sessions({ teamId, sessions }: { teamId: string; sessions: Live['sessions'] }) {
  return (
    <DataTable
      head={['Task', 'Messages', 'Tokens', 'Active since']}
      rows={sessions}
      empty={{
        title: 'No active sessions',
        description:
          'A session is active while its task runs; idle, closed or failed once the attempt ends.',
      }}
    >
      {(s) => (
        <tr key={s.id} data-session-task={s.taskId}>
          <Td className="min-w-0">
            <Link
              href={`/teams/${teamId}/tasks/${s.taskId}`}
              className="block max-w-64 truncate text-sm hover:underline"
            >
              {s.taskTitle || s.taskPrompt}
            </Link>
            <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
              {shortId(s.id)} · {s.backend} · {s.model} · attempt {s.attempt}
            </span>
          </Td>
          <Td className="text-right tabular">{formatInt(s.messageCount)}</Td>
          <Td className="text-right tabular">{formatInt(s.inputTokens + s.outputTokens)}</Td>
          <Td className="text-right text-xs whitespace-nowrap">
            <RelativeTime date={s.activeSince} />
          </Td>
        </tr>
      )}
    </DataTable>
  );
}

export function LiveDashboardSkeleton() {
  return (
    <div className="space-y-4" aria-busy="true">
      <span role="status" className="sr-only">
        Loading live state…
      </span>
      <Skeleton className="h-7 w-48" />
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} className="h-20" />
        ))}
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Skeleton className="h-56" />
        <Skeleton className="h-56" />
      </div>
    </div>
  );
}

export function LiveDashboard({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const live = useQuery({
    ...trpc.live.overview.queryOptions({ teamId }),
    refetchInterval: LIVE_REFRESH_MS,
    refetchIntervalInBackground: false,
  });

  if (live.isPending) return <LiveDashboardSkeleton />;
  if (live.isError && !live.data) {
    return (
      <Card>
        <ErrorState
          title="Live state unavailable"
          error={live.error}
          onRetry={() => void live.refetch()}
          retrying={live.isFetching}
        />
      </Card>
    );
  }
  const d = live.data;
  const openAlerts = d.alerts.filter((a) => a.state === 'open');
  const liveWorkers = d.workers.filter((w) => w.status === 'busy' || w.status === 'idle');
  const openBreakers = d.breakers.filter((b) => b.state !== 'closed').length;

  return (
    <div className="space-y-4">
      <PageHeader
        title={team.data ? `${team.data.name} live` : 'Live'}
        description={
          <span aria-live="polite">
            {live.isError ? (
              <span className="text-bad">Refresh failed — showing the last known state.</span>
            ) : (
              <>
                Refreshes every {LIVE_REFRESH_MS / 1000} s · updated{' '}
                {d.at.toISOString().slice(11, 19)} UTC
              </>
            )}
          </span>
        }
        actions={
          <Link
            href={`/teams/${teamId}/tasks`}
            className="rounded-md border border-zinc-200 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800"
          >
            Tasks
          </Link>
        }
      />

      {openAlerts.length > 0 ? (
        <div
          role="alert"
          className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200"
        >
          <p className="font-medium">
            {openAlerts.length} open {openAlerts.length === 1 ? 'alert' : 'alerts'}
          </p>
          <ul className="mt-1 list-disc pl-5">
            {openAlerts.map((a) => (
              <li key={a.id}>{a.message}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="live-stats">
        <Stat
          label="Running (team)"
          value={formatInt(d.queue.teamRunning)}
          hint={`${formatInt(d.queue.fleetRunning)} across the fleet`}
        />
        <Stat label="Queued (team)" value={formatInt(d.queue.teamQueued)} />
        <Stat
          label="Queue depth (fleet)"
          value={d.queue.jobs ? formatInt(d.queue.jobs.waiting) : '—'}
          hint={
            d.queue.jobs
              ? `${formatInt(d.queue.jobs.active)} active · ${formatInt(d.queue.jobs.retrying)} retrying`
              : 'queue not started yet'
          }
        />
        <Stat
          label="Workers"
          value={formatInt(liveWorkers.length)}
          hint={`${d.workers.filter((w) => w.status === 'busy').length} busy${
            openBreakers > 0
              ? ` · ${openBreakers} breaker${openBreakers === 1 ? '' : 's'} open`
              : ''
          }`}
        />
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <CardSection title="Running tasks" description="This team's tasks on a worker now.">
          <ItemList
            items={d.running}
            empty={{
              title: 'Nothing running',
              description: 'Submitted tasks show here while a worker runs them.',
            }}
          >
            {(t) => (
              <li
                key={t.id}
                data-running-task={t.id}
                className="flex items-center justify-between gap-3 px-5 py-3"
              >
                <div className="min-w-0">
                  <Link
                    href={`/teams/${teamId}/tasks/${t.id}`}
                    className="block truncate text-sm font-medium hover:underline"
                  >
                    {t.title || t.prompt}
                  </Link>
                  <p className="truncate font-mono text-xs text-zinc-500 dark:text-zinc-400">
                    {shortId(t.id)} · {t.model} · attempt {t.attempts}
                  </p>
                </div>
                <div className="shrink-0 text-right text-xs text-zinc-500 dark:text-zinc-400">
                  {t.cancelRequestedAt ? (
                    <Badge tone="warn">cancelling</Badge>
                  ) : (
                    <Badge>{t.backend}</Badge>
                  )}
                  {t.startedAt ? (
                    <div className="mt-1">
                      started <RelativeTime date={t.startedAt} />
                    </div>
                  ) : null}
                </div>
              </li>
            )}
          </ItemList>
        </CardSection>

        <CardSection title="Active sessions" description={<SessionsSummary d={d} />}>
          <Sessions teamId={teamId} sessions={d.sessions} />
        </CardSection>

        <CardSection
          title="Rate limits"
          description="Shared limiter buckets per scope: remaining now and when full again."
        >
          <RateLimits limits={d.limits} at={d.at} />
        </CardSection>

        <CardSection
          title="Workers"
          description="Each worker's heartbeat (every 5 s): how it confines claude-code tasks, tasks running, session pool, database connections."
        >
          <Workers workers={d.workers} />
        </CardSection>

        <CardSection
          title="Circuit breakers"
          description="Per provider and model, across live workers: open means requests to that model are refused until a trial succeeds."
        >
          <Breakers breakers={d.breakers} />
        </CardSection>
      </div>

      <CardSection
        title="Recent alerts"
        description={
          <>
            From this team's alert rules, evaluated in the background every 30 s.{' '}
            <Link href={`/teams/${teamId}/settings`} className="underline">
              Manage rules
            </Link>
          </>
        }
      >
        <ItemList
          items={d.alerts}
          empty={{
            title: 'No alerts',
            description: "Alerts appear here when a rule's threshold is crossed.",
          }}
        >
          {(a) => (
            <li key={a.id} className="flex items-start justify-between gap-3 px-5 py-3 text-sm">
              <span className="min-w-0">{a.message}</span>
              <span className="flex shrink-0 flex-col items-end gap-1 text-xs text-zinc-500">
                <Badge tone={a.state === 'open' ? 'bad' : 'neutral'}>{a.state}</Badge>
                <RelativeTime date={a.triggeredAt} />
              </span>
            </li>
          )}
        </ItemList>
      </CardSection>
    </div>
  );
}
