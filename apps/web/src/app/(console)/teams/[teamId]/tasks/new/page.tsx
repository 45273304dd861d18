import type { Metadata } from 'next';
import { SubmitTaskForm } from '@/components/tasks/submit-task-form';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'New task' };

export default async function NewTaskPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await prefetch(trpc.team.get.queryOptions({ teamId }));
  return (
    <HydrateClient>
      <SubmitTaskForm teamId={teamId} />
    </HydrateClient>
  );
}
