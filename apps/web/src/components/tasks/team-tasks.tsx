'use client';

import type { TaskStatus } from '@baton/db/schema';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/react';
import { Badge, STATUS_META, StatusBadge } from '../ui/badges';
import { Card, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { formatInt, shortId } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton, TableSkeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { FILTERABLE_STATUSES, listInput } from './task-filters';

function FilterTabs({
  teamId,
  status,
  counts,
}: {
  teamId: string;
  status: TaskStatus | null;
  counts: Record<string, number> | undefined;
}) {
  const tabs: { key: TaskStatus | null; label: string; count: number | undefined }[] = [
    { key: null, label: 'All', count: counts?.total },
    ...FILTERABLE_STATUSES.map((s) => ({
      key: s,
      label: STATUS_META[s].label,
      count: counts?.[s],
    })),
  ];
  return (
    <nav aria-label="Filter by status" className="-mx-4 mb-4 overflow-x-auto px-4 sm:mx-0 sm:px-0">
      <ul className="flex w-max gap-1 rounded-lg bg-zinc-100 p-1 dark:bg-zinc-900">
        {tabs.map((tab) => {
          const active = tab.key === status;
          const href = tab.key
            ? `/teams/${teamId}/tasks?status=${tab.key}`
            : `/teams/${teamId}/tasks`;
          return (
            <li key={tab.key ?? 'all'}>
              <Link
                href={href}
                scroll={false}
                aria-current={active ? 'page' : undefined}
                className={cn(
                  'flex items-center gap-1.5 rounded-md px-2.5 py-1 text-sm whitespace-nowrap transition-colors',
                  active
                    ? 'bg-white font-medium text-zinc-900 shadow-xs dark:bg-zinc-800 dark:text-zinc-50'
                    : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
                )}
              >
                {tab.key ? (
                  <span
                    aria-hidden="true"
                    className={cn('size-1.5 rounded-full', STATUS_META[tab.key].dot)}
                  />
                ) : null}
                {tab.label}
                {tab.count !== undefined ? (
                  <span className="text-xs text-zinc-400 tabular dark:text-zinc-500">
                    {formatInt(tab.count)}
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function TaskTable({ teamId, status }: { teamId: string; status: TaskStatus | null }) {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.task.list.infiniteQueryOptions(listInput(teamId, status), {
      getNextPageParam: (last) => last.nextCursor,
    }),
  );

  if (list.isPending) return <TableSkeleton rows={8} columns={5} />;
  if (list.isError) {
    return (
      <ErrorState error={list.error} onRetry={() => list.refetch()} retrying={list.isFetching} />
    );
  }
  const tasks = list.data.pages.flatMap((p) => p.items);
  if (tasks.length === 0) {
    return (
      <EmptyState
        title={status ? `No ${STATUS_META[status].label.toLowerCase()} tasks` : 'No tasks yet'}
        description={
          status
            ? 'Nothing in this status right now. Try another filter.'
            : 'Tasks submitted to this team will appear here.'
        }
        action={
          status ? (
            <Link
              href={`/teams/${teamId}/tasks`}
              className="text-sm font-medium text-brand-600 hover:underline dark:text-brand-100"
            >
              Show all tasks
            </Link>
          ) : null
        }
      />
    );
  }
  return (
    <>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">
            Tasks{status ? ` with status ${STATUS_META[status].label}` : ''}, newest first
          </caption>
          <thead className="border-b border-zinc-100 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
            <tr>
              <th scope="col" className="w-full px-5 py-2.5 font-medium">
                Task
              </th>
              <th scope="col" className="px-3 py-2.5 font-medium">
                Status
              </th>
              <th scope="col" className="hidden px-3 py-2.5 font-medium md:table-cell">
                Model
              </th>
              <th scope="col" className="hidden px-3 py-2.5 font-medium lg:table-cell">
                Backend
              </th>
              <th scope="col" className="hidden px-3 py-2.5 text-right font-medium sm:table-cell">
                Attempts
              </th>
              <th scope="col" className="px-5 py-2.5 text-right font-medium">
                Created
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {tasks.map((task) => (
              <tr key={task.id} className="hover:bg-zinc-50/70 dark:hover:bg-zinc-800/30">
                <td className="max-w-0 px-5 py-3">
                  <p className="truncate font-medium text-zinc-900 dark:text-zinc-100">
                    {task.title || task.promptPreview}
                  </p>
                  <p
                    className="mt-0.5 truncate font-mono text-xs text-zinc-400 dark:text-zinc-500"
                    title={task.id}
                  >
                    {shortId(task.id)}
                    {task.statusReason ? (
                      <span className="font-sans"> · {task.statusReason}</span>
                    ) : null}
                  </p>
                </td>
                <td className="px-3 py-3">
                  <StatusBadge status={task.status} />
                </td>
                <td className="hidden px-3 py-3 font-mono text-xs whitespace-nowrap text-zinc-600 md:table-cell dark:text-zinc-300">
                  {task.model}
                </td>
                <td className="hidden px-3 py-3 lg:table-cell">
                  <Badge>{task.backend}</Badge>
                </td>
                <td className="hidden px-3 py-3 text-right text-zinc-600 tabular sm:table-cell dark:text-zinc-300">
                  {task.attempts}/{task.maxAttempts}
                </td>
                <td className="px-5 py-3 text-right text-xs whitespace-nowrap text-zinc-500 dark:text-zinc-400">
                  <RelativeTime date={task.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="flex items-center justify-between gap-3 border-t border-zinc-100 px-5 py-3 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
        <span aria-live="polite">
          Showing {formatInt(tasks.length)} {tasks.length === 1 ? 'task' : 'tasks'}
        </span>
        {list.hasNextPage ? (
          <button
            type="button"
            onClick={() => list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
            className="rounded-md border border-zinc-200 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800"
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        ) : (
          <span>End of list</span>
        )}
      </div>
      {list.isFetchNextPageError ? (
        <p role="alert" className="px-5 pb-3 text-xs text-bad">
          Could not load more tasks. Try again.
        </p>
      ) : null}
    </>
  );
}

export function TeamTasks({ teamId, status }: { teamId: string; status: TaskStatus | null }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const counts = useQuery(trpc.task.counts.queryOptions({ teamId }));

  if (team.isError) {
    return (
      <Card>
        <ErrorState
          title="Team unavailable"
          error={team.error}
          onRetry={() => team.refetch()}
          retrying={team.isFetching}
        />
      </Card>
    );
  }
  return (
    <>
      <PageHeader
        title={team.data ? `${team.data.name} tasks` : <Skeleton className="h-7 w-48" />}
        description={
          team.data ? (
            <>
              <span className="font-mono">{team.data.slug}</span> · you are{' '}
              <span className="font-medium text-zinc-700 dark:text-zinc-300">{team.data.role}</span>{' '}
              · {team.data.memberCount} {team.data.memberCount === 1 ? 'member' : 'members'}
            </>
          ) : (
            <Skeleton className="mt-1 h-4 w-64" />
          )
        }
      />
      <FilterTabs teamId={teamId} status={status} counts={counts.data} />
      <Card>
        <TaskTable teamId={teamId} status={status} />
      </Card>
    </>
  );
}

export function TeamTasksSkeleton() {
  return (
    <div>
      <div className="mb-6 space-y-2">
        <Skeleton className="h-7 w-48" />
        <Skeleton className="h-4 w-64" />
      </div>
      <Skeleton className="mb-4 h-9 w-full max-w-xl rounded-lg" />
      <Card>
        <TableSkeleton rows={8} columns={5} />
      </Card>
    </div>
  );
}
