import { OverviewSkeleton } from '@/components/overview/overview';

export default function Loading() {
  return <OverviewSkeleton />;
}
