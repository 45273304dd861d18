'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { ChevronRightIcon } from '../ui/icons';
import { LoadingLabel, Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { CapBar, CapFigures, CapLevelBadge, CapReset, capLevel, capTitle } from './cap-meter';

/** At most this many caps per team on the overview (the strictest first; the page has them all). */
const CAPS_PER_TEAM = 3;

/** The overview's budget card: for each team, the caps on the signed-in user's tasks there. */
export function BudgetOverviewCard({ className }: { className?: string }) {
  const trpc = useTRPC();
  const overview = useQuery({
    ...trpc.budget.overview.queryOptions(),
    refetchInterval: 30_000,
  });
  const teams = overview.data?.teams.filter((t) => t.caps.length > 0) ?? [];
  const levels = teams.flatMap((t) => t.caps).map(capLevel);
  const alarming = levels.filter((l) => l !== 'ok').length;
  return (
    <Card className={className}>
      <CardHeader
        title="Spend caps"
        description="The caps on your tasks in each team, strictest first"
        action={alarming > 0 ? <Badge tone="bad">{alarming} near or reached</Badge> : null}
      />
      {overview.isPending ? (
        <div className="space-y-4 p-5">
          <LoadingLabel label="Loading spend caps" />
          <Skeleton className="h-4 w-1/3" />
          <Skeleton className="h-2 w-full" />
          <Skeleton className="h-4 w-1/4" />
          <Skeleton className="h-2 w-full" />
        </div>
      ) : overview.isError ? (
        <ErrorState
          error={overview.error}
          onRetry={() => overview.refetch()}
          retrying={overview.isFetching}
        />
      ) : teams.length === 0 ? (
        <EmptyState
          title="No spend caps"
          description="None of your teams caps its spending. Team admins set caps on a team's Budget page."
        />
      ) : (
        <ul
          className="divide-y divide-zinc-100 dark:divide-zinc-800"
          aria-label="Spend caps by team"
        >
          {teams.map((team) => {
            const shown = team.caps.slice(0, CAPS_PER_TEAM);
            const more = team.caps.length - shown.length;
            return (
              <li key={team.teamId} className="px-5 py-3.5">
                <Link
                  href={`/teams/${team.teamId}/budget`}
                  className="group mb-2 flex items-center gap-2 text-sm font-medium text-zinc-900 hover:underline dark:text-zinc-100"
                >
                  {team.teamName}
                  <ChevronRightIcon className="text-zinc-300 group-hover:text-zinc-500 dark:text-zinc-600" />
                </Link>
                <ul className="grid gap-x-6 gap-y-3 sm:grid-cols-2 lg:grid-cols-3">
                  {shown.map((cap) => (
                    <li key={cap.capId} className="min-w-0 text-xs">
                      <div className="mb-1 flex items-center justify-between gap-2">
                        <span
                          className={cn(
                            'truncate',
                            capLevel(cap) === 'reached'
                              ? 'font-medium text-bad'
                              : 'text-zinc-600 dark:text-zinc-300',
                          )}
                        >
                          {capTitle(cap)}
                        </span>
                        <CapLevelBadge cap={cap} />
                      </div>
                      <CapBar cap={cap} />
                      <div className="mt-1 flex flex-wrap justify-between gap-x-3 text-zinc-500 dark:text-zinc-400">
                        <CapFigures cap={cap} />
                        <CapReset cap={cap} />
                      </div>
                    </li>
                  ))}
                </ul>
                {more > 0 ? (
                  <Link
                    href={`/teams/${team.teamId}/budget`}
                    className="mt-2 inline-block text-xs text-zinc-500 hover:text-zinc-900 hover:underline dark:text-zinc-400 dark:hover:text-zinc-100"
                  >
                    {more} more {more === 1 ? 'cap' : 'caps'}
                  </Link>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
