import type { Metadata } from 'next';
import { listInput, parseStatus } from '@/components/tasks/task-filters';
import { TeamTasks } from '@/components/tasks/team-tasks';
import { getQueryClient, HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Tasks' };

export default async function TeamTasksPage({
  params,
  searchParams,
}: {
  params: Promise<{ teamId: string }>;
  searchParams: Promise<{ status?: string | string[] }>;
}) {
  const { teamId } = await params;
  const status = parseStatus((await searchParams).status);
  await Promise.all([
    prefetch(trpc.team.get.queryOptions({ teamId }), trpc.task.counts.queryOptions({ teamId })),
    getQueryClient().prefetchInfiniteQuery(
      trpc.task.list.infiniteQueryOptions(listInput(teamId, status), {
        getNextPageParam: (last) => last.nextCursor,
      }),
    ),
  ]);
  return (
    <HydrateClient>
      <TeamTasks teamId={teamId} status={status} />
    </HydrateClient>
  );
}
