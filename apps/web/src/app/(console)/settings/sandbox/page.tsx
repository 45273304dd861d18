import type { Metadata } from 'next';
import { SandboxSettings } from '@/components/workspace/sandbox-settings';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Sandbox' };

export default async function SandboxSettingsPage() {
  await prefetch(trpc.system.sandbox.queryOptions());
  return (
    <HydrateClient>
      <SandboxSettings />
    </HydrateClient>
  );
}
