import { TeamMembersSkeleton } from '@/components/members/team-members';

export default function Loading() {
  return <TeamMembersSkeleton />;
}
