'use client';

import type { TaskStatus } from '@baton/db/schema';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge, STATUS_META, StatusBadge } from '../ui/badges';
import { Card, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { inputClass } from '../ui/form';
import { formatInt, shortId } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { roleAtLeast } from '../ui/roles';
import { Skeleton, TableSkeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import {
  BACKEND_OPTIONS,
  FILTERABLE_STATUSES,
  filtersToSearch,
  hasFilters,
  listInput,
  type TaskFilters,
} from './task-filters';

function FilterTabs({
  teamId,
  filters,
  counts,
}: {
  teamId: string;
  filters: TaskFilters;
  counts: Record<string, number> | undefined;
}) {
  const status = filters.status;
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
          const href = `/teams/${teamId}/tasks${filtersToSearch({ ...filters, status: tab.key })}`;
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

function FilterBar({ teamId, filters }: { teamId: string; filters: TaskFilters }) {
  const router = useRouter();
  const trpc = useTRPC();
  const facets = useQuery(trpc.task.facets.queryOptions({ teamId }));
  const id = useId();
  function apply(next: TaskFilters) {
    router.replace(`/teams/${teamId}/tasks${filtersToSearch(next)}`, { scroll: false });
  }
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget).get('q') ?? '').trim();
    apply({ ...filters, q: q || null });
  }
  const select = (name: keyof TaskFilters) => ({
    value: filters[name] ?? '',
    onChange: (e: React.ChangeEvent<HTMLSelectElement | HTMLInputElement>) =>
      apply({ ...filters, [name]: e.target.value || null }),
  });
  const small = 'py-1.5 text-sm';
  return (
    <div className="mb-4 grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
      <search className="col-span-2 sm:col-span-3 lg:col-span-2">
        <form onSubmit={onSubmit}>
          <label htmlFor={`${id}-q`} className="sr-only">
            Search tasks
          </label>
          <input
            id={`${id}-q`}
            key={filters.q ?? ''}
            name="q"
            type="search"
            defaultValue={filters.q ?? ''}
            placeholder="Search prompt, title or id…"
            className={cn(inputClass(), small)}
          />
        </form>
      </search>
      <label className="sr-only" htmlFor={`${id}-backend`}>
        Backend
      </label>
      <select id={`${id}-backend`} className={cn(inputClass(), small)} {...select('backend')}>
        <option value="">All backends</option>
        {BACKEND_OPTIONS.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor={`${id}-model`}>
        Model
      </label>
      <select id={`${id}-model`} className={cn(inputClass(), small)} {...select('model')}>
        <option value="">All models</option>
        {filters.model && !facets.data?.models.includes(filters.model) ? (
          <option value={filters.model}>{filters.model}</option>
        ) : null}
        {facets.data?.models.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor={`${id}-user`}>
        Submitted by
      </label>
      <select id={`${id}-user`} className={cn(inputClass(), small)} {...select('user')}>
        <option value="">Anyone</option>
        {facets.data?.users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name || u.email}
          </option>
        ))}
      </select>
      <div className="col-span-2 flex items-center gap-1 sm:col-span-3 lg:col-span-1">
        <label className="sr-only" htmlFor={`${id}-from`}>
          Created from
        </label>
        <input
          id={`${id}-from`}
          type="date"
          className={cn(inputClass(), small, 'px-2')}
          {...select('from')}
        />
        <span aria-hidden="true" className="text-zinc-400">
          –
        </span>
        <label className="sr-only" htmlFor={`${id}-to`}>
          Created until
        </label>
        <input
          id={`${id}-to`}
          type="date"
          className={cn(inputClass(), small, 'px-2')}
          {...select('to')}
        />
      </div>
    </div>
  );
}

function TaskTable({ teamId, filters }: { teamId: string; filters: TaskFilters }) {
  const trpc = useTRPC();
  const status = filters.status;
  const filtered = hasFilters(filters);
  const list = useInfiniteQuery(
    trpc.task.list.infiniteQueryOptions(listInput(teamId, filters), {
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
        title={
          filtered
            ? status
              ? `No ${STATUS_META[status].label.toLowerCase()} tasks match`
              : 'No tasks match'
            : 'No tasks yet'
        }
        description={
          filtered
            ? 'Nothing matches these filters. Try another filter.'
            : 'Tasks submitted to this team will appear here.'
        }
        action={
          filtered ? (
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
              <th scope="col" className="hidden px-5 py-2.5 text-right font-medium sm:table-cell">
                Created
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {tasks.map((task) => (
              <tr key={task.id} className="hover:bg-zinc-50/70 dark:hover:bg-zinc-800/30">
                <td className="max-w-0 py-3 pr-2 pl-4 sm:px-5">
                  <Link
                    href={`/teams/${teamId}/tasks/${task.id}`}
                    className="block truncate font-medium text-zinc-900 hover:underline dark:text-zinc-100"
                  >
                    {task.title || task.promptPreview}
                  </Link>
                  <p
                    className="mt-0.5 truncate font-mono text-xs text-zinc-400 dark:text-zinc-500"
                    title={task.id}
                  >
                    {shortId(task.id)}
                    <span className="font-sans sm:hidden">
                      {' · '}
                      <RelativeTime date={task.createdAt} />
                    </span>
                    {task.createdByName ? (
                      <span className="font-sans"> · {task.createdByName}</span>
                    ) : null}
                    {task.statusReason ? (
                      <span className="font-sans"> · {task.statusReason}</span>
                    ) : null}
                  </p>
                </td>
                <td className="py-3 pr-4 pl-2 sm:px-3">
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
                <td className="hidden px-5 py-3 text-right text-xs whitespace-nowrap text-zinc-500 sm:table-cell dark:text-zinc-400">
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

export function TeamTasks({ teamId, filters }: { teamId: string; filters: TaskFilters }) {
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
        actions={
          <>
            <Link
              href={`/teams/${teamId}/live`}
              className="rounded-md border border-zinc-200 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800"
            >
              Live
            </Link>
            <Link
              href={`/teams/${teamId}/analytics`}
              className="rounded-md border border-zinc-200 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800"
            >
              Analytics
            </Link>
            {team.data && roleAtLeast(team.data.role, 'member') ? (
              <Link
                href={`/teams/${teamId}/tasks/new`}
                className="rounded-md bg-zinc-900 px-3 py-1.5 text-sm font-medium text-white shadow-xs hover:bg-zinc-800 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
              >
                New task
              </Link>
            ) : null}
          </>
        }
      />
      <FilterTabs teamId={teamId} filters={filters} counts={counts.data} />
      <FilterBar teamId={teamId} filters={filters} />
      <Card>
        <TaskTable teamId={teamId} filters={filters} />
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
