'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { authClient } from '../auth/auth-client';
import { LogOutIcon } from '../ui/icons';

export function SignOutButton() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    try {
      await authClient.signOut();
    } finally {
      queryClient.clear();
      router.replace('/sign-in');
      router.refresh();
    }
  }
  return (
    <button
      type="button"
      onClick={signOut}
      disabled={pending}
      aria-label="Sign out"
      title="Sign out"
      className="inline-flex size-8 items-center justify-center rounded-md text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 disabled:opacity-50 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
    >
      <LogOutIcon />
    </button>
  );
}
