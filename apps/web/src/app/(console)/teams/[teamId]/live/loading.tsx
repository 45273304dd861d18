import { LiveDashboardSkeleton } from '@/components/live/live-dashboard';

export default function Loading() {
  return <LiveDashboardSkeleton />;
}
