import type { Metadata } from 'next';
import { AcceptInvitation } from '@/components/members/accept-invitation';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Invitation' };

/**
 * `/invite/<token>`: signed-out visitors are sent to sign-in (and from there
 * to sign-up) with this page as `next`, and come back here.
 */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  await prefetch(trpc.invitation.preview.queryOptions({ token }));
  return (
    <HydrateClient>
      <AcceptInvitation token={token} />
    </HydrateClient>
  );
}
