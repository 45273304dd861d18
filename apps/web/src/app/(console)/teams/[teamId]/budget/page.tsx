import type { Metadata } from 'next';
import { TeamBudget } from '@/components/budget/team-budget';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Budget' };

export default async function TeamBudgetPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await prefetch(trpc.team.get.queryOptions({ teamId }), trpc.budget.list.queryOptions({ teamId }));
  return (
    <HydrateClient>
      <TeamBudget teamId={teamId} />
    </HydrateClient>
  );
}
