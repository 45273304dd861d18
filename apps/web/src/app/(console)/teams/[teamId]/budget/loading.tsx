import { TeamBudgetSkeleton } from '@/components/budget/team-budget';

export default function Loading() {
  return <TeamBudgetSkeleton />;
}
