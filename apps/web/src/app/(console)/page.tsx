import type { Metadata } from 'next';
import { Overview } from '@/components/overview/overview';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Overview' };

export default async function OverviewPage() {
  await prefetch(
    trpc.system.health.queryOptions(),
    trpc.task.overview.queryOptions({ latest: 8 }),
    trpc.team.list.queryOptions(),
    trpc.budget.overview.queryOptions(),
  );
  return (
    <HydrateClient>
      <Overview />
    </HydrateClient>
  );
}
