'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTRPC } from '@/trpc/react';
import { Card } from '../ui/card';
import { Button, FormAlert } from '../ui/form';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';

const UNUSABLE = {
  accepted: 'This invitation has already been used.',
  revoked: 'This invitation was revoked. Ask for a new link.',
  expired: 'This invitation has expired. Ask for a new link.',
} as const;

export function AcceptInvitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const preview = useQuery({ ...trpc.invitation.preview.queryOptions({ token }), retry: false });
  const accept = useMutation(
    trpc.invitation.accept.mutationOptions({
      onSuccess: async (r) => {
        await qc.invalidateQueries({ queryKey: trpc.team.pathKey() });
        router.push(`/teams/${r.teamId}/tasks`);
      },
    }),
  );

  let body: React.ReactNode;
  if (preview.isPending) {
    body = (
      <div className="space-y-3 p-6" aria-busy="true">
        <Skeleton className="h-6 w-2/3" />
        <Skeleton className="h-4 w-1/2" />
        <Skeleton className="h-9 w-32" />
      </div>
    );
  } else if (preview.isError) {
    body = <ErrorState title="Invitation not found" error={preview.error} />;
  } else {
    const inv = preview.data;
    const unusable = inv.status === 'pending' ? null : UNUSABLE[inv.status];
    body = (
      <div className="space-y-4 p-6">
        <div>
          <h1 className="text-lg font-semibold tracking-tight">Join {inv.teamName}</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-300">
            You are invited as <strong>{inv.role}</strong>.{' '}
            {inv.status === 'pending' ? (
              <span className="text-zinc-500 dark:text-zinc-400">
                The link expires <RelativeTime date={inv.expiresAt} />.
              </span>
            ) : null}
          </p>
        </div>
        {inv.teamId ? (
          <p className="text-sm">
            You are already a member ({inv.memberRole}).{' '}
            <Link href={`/teams/${inv.teamId}/tasks`} className="font-medium underline">
              Open {inv.teamName}
            </Link>
          </p>
        ) : unusable ? (
          <FormAlert>{unusable}</FormAlert>
        ) : inv.forEmail ? (
          <FormAlert>
            This invitation is for {inv.forEmail}. Sign in with that account to accept it.
          </FormAlert>
        ) : (
          <>
            {accept.error ? <FormAlert>{errorMessage(accept.error)}</FormAlert> : null}
            <div className="flex flex-wrap gap-2">
              <Button
                variant="primary"
                disabled={accept.isPending || accept.isSuccess}
                onClick={() => accept.mutate({ token })}
              >
                {accept.isPending || accept.isSuccess ? 'Joining…' : `Join ${inv.teamName}`}
              </Button>
              <Link
                href="/"
                className="inline-flex items-center rounded-md px-3 py-1.5 text-sm text-zinc-600 hover:underline dark:text-zinc-300"
              >
                Not now
              </Link>
            </div>
          </>
        )}
      </div>
    );
  }
  return (
    <div className="mx-auto max-w-lg py-6">
      <Card>{body}</Card>
    </div>
  );
}
