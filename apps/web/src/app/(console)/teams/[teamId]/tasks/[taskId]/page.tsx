import type { Metadata } from 'next';
import { TaskDetail } from '@/components/tasks/task-detail';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Task' };

export default async function TaskPage({
  params,
}: {
  params: Promise<{ teamId: string; taskId: string }>;
}) {
  const { teamId, taskId } = await params;
  await prefetch(
    trpc.team.get.queryOptions({ teamId }),
    trpc.task.byId.queryOptions({ teamId, taskId }),
  );
  return (
    <HydrateClient>
      <TaskDetail teamId={teamId} taskId={taskId} />
    </HydrateClient>
  );
}
