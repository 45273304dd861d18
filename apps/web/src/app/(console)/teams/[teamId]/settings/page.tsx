import type { Metadata } from 'next';
import { TeamSettings } from '@/components/settings/team-settings';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Settings' };

export default async function TeamSettingsPage({
  params,
}: {
  params: Promise<{ teamId: string }>;
}) {
  const { teamId } = await params;
  await prefetch(
    trpc.team.get.queryOptions({ teamId }),
    trpc.settings.credentials.queryOptions({ teamId }),
    trpc.settings.alertRules.queryOptions({ teamId }),
    trpc.repository.list.queryOptions({ teamId }),
    trpc.settings.claudeCode.queryOptions({ teamId }),
  );
  return (
    <HydrateClient>
      <TeamSettings teamId={teamId} />
    </HydrateClient>
  );
}
