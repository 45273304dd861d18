import type { Metadata } from 'next';
import { OperatorTeamSettings } from '@/components/settings/operator-team-settings';
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
    trpc.system.me.queryOptions(),
  );
  return (
    <HydrateClient>
      <div className="space-y-4">
        <TeamSettings teamId={teamId} />
        <OperatorTeamSettings teamId={teamId} />
      </div>
    </HydrateClient>
  );
}
