import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { AppShell } from '@/components/shell/app-shell';
import { Unavailable } from '@/components/shell/unavailable';
import { trySession } from '@/server/auth';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const result = await trySession();
  if (!result.ok) return <Unavailable detail={result.error} />;
  const { session } = result;
  if (!session) redirect('/sign-in');
  await prefetch(trpc.team.list.queryOptions());
  return (
    <HydrateClient>
      <AppShell user={{ name: session.user.name, email: session.user.email }}>{children}</AppShell>
    </HydrateClient>
  );
}
