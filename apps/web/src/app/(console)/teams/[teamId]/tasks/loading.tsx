import { TeamTasksSkeleton } from '@/components/tasks/team-tasks';

export default function Loading() {
  return <TeamTasksSkeleton />;
}
