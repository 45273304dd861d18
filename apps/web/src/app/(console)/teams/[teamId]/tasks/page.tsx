import type { Metadata } from 'next';
import { listInput, parseFilters } from '@/components/tasks/task-filters';
import { TeamTasks } from '@/components/tasks/team-tasks';
import { getQueryClient, HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Tasks' };

export default async function TeamTasksPage({
  params,
  searchParams,
}: {
  params: Promise<{ teamId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { teamId } = await params;
  const filters = parseFilters(await searchParams);
  await Promise.all([
    prefetch(
      trpc.team.get.queryOptions({ teamId }),
      trpc.task.counts.queryOptions({ teamId }),
      trpc.task.facets.queryOptions({ teamId }),
    ),
    getQueryClient().prefetchInfiniteQuery(
      trpc.task.list.infiniteQueryOptions(listInput(teamId, filters), {
        getNextPageParam: (last) => last.nextCursor,
      }),
    ),
  ]);
  return (
    <HydrateClient>
      <TeamTasks teamId={teamId} filters={filters} />
    </HydrateClient>
  );
}
