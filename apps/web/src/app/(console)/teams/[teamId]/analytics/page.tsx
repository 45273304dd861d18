import type { Metadata } from 'next';
import { AnalyticsDashboard } from '@/components/analytics/analytics-dashboard';

export const metadata: Metadata = { title: 'Analytics' };

export default async function AnalyticsPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  return <AnalyticsDashboard teamId={teamId} />;
}
