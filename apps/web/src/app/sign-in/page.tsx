import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/auth/sign-in-form';
import { SimulatorNotice } from '@/components/shell/simulator-notice';
import { ThemeToggle } from '@/components/shell/theme-toggle';
import { Unavailable } from '@/components/shell/unavailable';
import { BatonMark } from '@/components/ui/icons';
import { env } from '@/env';
import { safeNext } from '@/lib/safe-next';
import { trySession } from '@/server/auth';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string | string[] }>;
}) {
  const { next } = await searchParams;
  const raw = Array.isArray(next) ? next[0] : next;
  // Only a same-origin path survives; anything else is dropped here, before the form sees it.
  const safe = safeNext(raw, env.BATON_PUBLIC_URL, '');
  const nextPath = safe || undefined;
  const result = await trySession();
  if (!result.ok) return <Unavailable detail={result.error} />;
  if (result.session) redirect(nextPath ?? '/');
  return (
    <div className="relative flex min-h-dvh flex-col items-center justify-center px-4 py-12">
      <div className="absolute top-4 right-4">
        <ThemeToggle />
      </div>
      <SimulatorNotice className="fixed inset-x-0 bottom-0 border-t border-b-0" />
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <BatonMark width={40} height={40} />
          <h1 className="mt-4 text-xl font-semibold tracking-tight">Sign in to Baton</h1>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
            Run Claude work at team scale.
          </p>
        </div>
        <div className="rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900/60">
          <SignInForm next={nextPath} />
        </div>
        <p className="mt-6 text-center text-sm text-zinc-500 dark:text-zinc-400">
          New here?{' '}
          <Link
            href={nextPath ? `/sign-up?next=${encodeURIComponent(nextPath)}` : '/sign-up'}
            className="font-medium text-zinc-900 hover:underline dark:text-zinc-100"
          >
            Create an account
          </Link>
        </p>
        <p className="mt-2 text-center text-xs text-zinc-500 dark:text-zinc-400">
          On a fresh install, <code className="font-mono">baton start</code> prints the demo
          account&apos;s password once.
        </p>
      </div>
    </div>
  );
}
