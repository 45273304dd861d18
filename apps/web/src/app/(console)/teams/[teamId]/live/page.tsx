import type { Metadata } from 'next';
import { LiveDashboard } from '@/components/live/live-dashboard';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Live' };

export default async function LivePage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await prefetch(
    trpc.team.get.queryOptions({ teamId }),
    trpc.live.overview.queryOptions({ teamId }),
  );
  return (
    <HydrateClient>
      <LiveDashboard teamId={teamId} />
    </HydrateClient>
  );
}
