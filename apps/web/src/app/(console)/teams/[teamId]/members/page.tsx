import type { Metadata } from 'next';
import { TeamMembers } from '@/components/members/team-members';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Members' };

export default async function TeamMembersPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await prefetch(
    trpc.team.get.queryOptions({ teamId }),
    trpc.team.members.queryOptions({ teamId }),
    trpc.invitation.list.queryOptions({ teamId }),
    trpc.system.me.queryOptions(),
  );
  return (
    <HydrateClient>
      <TeamMembers teamId={teamId} />
    </HydrateClient>
  );
}
