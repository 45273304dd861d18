import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { SignUpForm } from '@/components/auth/sign-up-form';
import { SimulatorNotice } from '@/components/shell/simulator-notice';
import { ThemeToggle } from '@/components/shell/theme-toggle';
import { Unavailable } from '@/components/shell/unavailable';
import { BatonMark } from '@/components/ui/icons';
import { env, signUpAllowed } from '@/env';
import { safeNext } from '@/lib/safe-next';
import { trySession } from '@/server/auth';

export const metadata: Metadata = { title: 'Create account' };
export const dynamic = 'force-dynamic';

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string | string[] }>;
}) {
  const { next } = await searchParams;
  // Only a same-origin path survives; anything else is dropped here, before the form sees it.
  const nextPath =
    safeNext(Array.isArray(next) ? next[0] : next, env.BATON_PUBLIC_URL, '') || undefined;
  const result = await trySession();
  if (!result.ok) return <Unavailable detail={result.error} />;
  if (result.session) redirect(nextPath ?? '/');
  // Coming from an invitation link: the server lets this sign-up through (if the invitation is usable).
  const invited = /^\/invite\/[A-Za-z0-9_-]{20,100}$/.test(nextPath ?? '');
  const open = signUpAllowed() || invited;
  return (
    <div className="relative flex min-h-dvh flex-col items-center justify-center px-4 py-12">
      <div className="absolute top-4 right-4">
        <ThemeToggle />
      </div>
      <SimulatorNotice className="fixed inset-x-0 bottom-0 border-t border-b-0" />
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <BatonMark width={40} height={40} />
          <h1 className="mt-4 text-xl font-semibold tracking-tight">Create your Baton account</h1>
        </div>
        <div className="rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900/60">
          {open ? (
            <SignUpForm next={nextPath} />
          ) : (
            <p className="text-sm text-zinc-600 dark:text-zinc-300">
              Sign-up is closed on this server. Ask an admin for an invitation, or set{' '}
              <code className="font-mono">BATON_ALLOW_SIGNUP=true</code>.
            </p>
          )}
        </div>
        <p className="mt-6 text-center text-sm text-zinc-500 dark:text-zinc-400">
          Already have an account?{' '}
          <Link
            href={nextPath ? `/sign-in?next=${encodeURIComponent(nextPath)}` : '/sign-in'}
            className="font-medium text-zinc-900 hover:underline dark:text-zinc-100"
          >
            Sign in
          </Link>
        </p>
      </div>
    </div>
  );
}
