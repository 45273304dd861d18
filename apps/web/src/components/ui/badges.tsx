import type { TaskStatus } from '@baton/db/schema';
import { cn } from './cn';

export const STATUS_META: Record<TaskStatus, { label: string; dot: string; badge: string }> = {
  queued: {
    label: 'Queued',
    dot: 'bg-zinc-400',
    badge:
      'bg-zinc-100 text-zinc-700 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-700',
  },
  running: {
    label: 'Running',
    dot: 'bg-brand-500',
    badge:
      'bg-brand-50 text-brand-700 ring-brand-100 dark:bg-brand-700/20 dark:text-brand-100 dark:ring-brand-700/40',
  },
  succeeded: {
    label: 'Succeeded',
    dot: 'bg-ok',
    badge:
      'bg-emerald-50 text-emerald-700 ring-emerald-100 dark:bg-emerald-950/50 dark:text-emerald-300 dark:ring-emerald-900',
  },
  failed: {
    label: 'Failed',
    dot: 'bg-bad',
    badge:
      'bg-red-50 text-red-700 ring-red-100 dark:bg-red-950/50 dark:text-red-300 dark:ring-red-900',
  },
  cancelled: {
    label: 'Cancelled',
    dot: 'bg-zinc-300 dark:bg-zinc-600',
    badge:
      'bg-zinc-50 text-zinc-500 ring-zinc-200 dark:bg-zinc-900 dark:text-zinc-400 dark:ring-zinc-700',
  },
  timed_out: {
    label: 'Timed out',
    dot: 'bg-warn',
    badge:
      'bg-amber-50 text-amber-800 ring-amber-100 dark:bg-amber-950/40 dark:text-amber-300 dark:ring-amber-900',
  },
  budget_exceeded: {
    label: 'Over budget',
    dot: 'bg-warn',
    badge:
      'bg-orange-50 text-orange-800 ring-orange-100 dark:bg-orange-950/40 dark:text-orange-300 dark:ring-orange-900',
  },
};

export function StatusBadge({ status }: { status: TaskStatus }) {
  const meta = STATUS_META[status];
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
        meta.badge,
      )}
    >
      <span
        aria-hidden="true"
        className={cn('size-1.5 rounded-full', meta.dot, status === 'running' && 'animate-pulse')}
      />
      {meta.label}
    </span>
  );
}

export function Badge({
  children,
  tone = 'neutral',
}: {
  children: React.ReactNode;
  tone?: 'neutral' | 'brand' | 'ok' | 'warn' | 'bad';
}) {
  const tones = {
    neutral:
      'bg-zinc-100 text-zinc-600 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-700',
    brand:
      'bg-brand-50 text-brand-700 ring-brand-100 dark:bg-brand-700/20 dark:text-brand-100 dark:ring-brand-700/40',
    ok: 'bg-emerald-50 text-emerald-700 ring-emerald-100 dark:bg-emerald-950/50 dark:text-emerald-300 dark:ring-emerald-900',
    warn: 'bg-amber-50 text-amber-800 ring-amber-100 dark:bg-amber-950/40 dark:text-amber-300 dark:ring-amber-900',
    bad: 'bg-red-50 text-red-700 ring-red-100 dark:bg-red-950/50 dark:text-red-300 dark:ring-red-900',
  } as const;
  return (
    <span
      className={cn(
        'inline-flex items-center rounded-md px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset',
        tones[tone],
      )}
    >
      {children}
    </span>
  );
}
