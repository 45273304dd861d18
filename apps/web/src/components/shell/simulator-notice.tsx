'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/react';
import { cn } from '../ui/cn';

/**
 * Says that the provider is Baton's simulator (the server's configuration, `model.provider`):
 * replies are generated, not Claude's, and nothing is billed. Shown in the app shell on every
 * page and on the sign-in page; renders nothing for a real provider, or until it is known.
 */
export function SimulatorNotice({ className }: { className?: string }) {
  const trpc = useTRPC();
  const provider = useQuery({
    ...trpc.model.provider.queryOptions(),
    // Configuration: it changes only with a restart.
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!provider.data?.simulated) return null;
  return (
    <aside
      aria-label="Simulated provider"
      data-testid="simulator-notice"
      className={cn(
        'flex items-center justify-center gap-2 border-b border-amber-200 bg-amber-50 px-4 py-1.5 text-center text-xs text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/40 dark:text-amber-200',
        className,
      )}
    >
      <span
        aria-hidden="true"
        className="rounded bg-amber-200/70 px-1.5 py-px font-semibold uppercase tracking-wide text-[10px] dark:bg-amber-900/60"
      >
        Simulator
      </span>
      <span>
        Replies come from Baton&apos;s simulator, not Anthropic&apos;s API: they are generated, and
        nothing is billed.
      </span>
    </aside>
  );
}
