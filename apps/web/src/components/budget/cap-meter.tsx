'use client';

import type { RouterOutputs } from '@baton/api';
import type { SpendPeriod } from '@baton/db/schema';
import { Badge } from '../ui/badges';
import { cn } from '../ui/cn';
import { formatUsd } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';

export type Cap = RouterOutputs['budget']['list']['caps'][number];

/** A cap is "near" from 75 % of it (where the alerts start), "reached" at 100 %. */
export const NEAR_PCT = 75;

export const PERIOD_LABEL: Record<SpendPeriod, { adjective: string; window: string }> = {
  daily: { adjective: 'Daily', window: 'today (UTC)' },
  weekly: { adjective: 'Weekly', window: 'this week (UTC, from Monday)' },
  monthly: { adjective: 'Monthly', window: 'this month (UTC)' },
};

export type CapLevel = 'ok' | 'near' | 'reached';

export function capLevel(cap: Pick<Cap, 'reached' | 'usedPct'>): CapLevel {
  if (cap.reached || cap.usedPct >= 100) return 'reached';
  return cap.usedPct >= NEAR_PCT ? 'near' : 'ok';
}

/** "Daily team cap", "Daily ceiling", "Weekly instance cap", "Monthly cap for Ada Lovelace". */
export function capTitle(cap: Cap): string {
  const period = PERIOD_LABEL[cap.period].adjective;
  if (cap.scope === 'instance') return `${period} instance cap`;
  if (cap.scope === 'user')
    return `${period} cap for ${cap.userName || cap.userEmail || 'a member'}`;
  return cap.setByOperator ? `${period} team ceiling` : `${period} team cap`;
}

/** Who the cap counts: "Every team's tasks", "All of the team's tasks", "Their tasks in this team". */
export function capCounts(cap: Cap): string {
  if (cap.scope === 'instance') return "every team's tasks";
  if (cap.scope === 'user') return 'their tasks in this team';
  return "all of the team's tasks";
}

export function CapLevelBadge({ cap }: { cap: Pick<Cap, 'reached' | 'usedPct'> }) {
  const level = capLevel(cap);
  if (level === 'reached') return <Badge tone="bad">Reached</Badge>;
  if (level === 'near') return <Badge tone="warn">Near the cap</Badge>;
  return null;
}

/** The spent / cap bar: its fill clamps at 100 %, coloured by how close the cap is. */
export function CapBar({ cap, className }: { cap: Cap; className?: string }) {
  const level = capLevel(cap);
  const pct = Math.min(100, Math.max(0, cap.usedPct));
  return (
    <div
      role="progressbar"
      aria-label={`${capTitle(cap)}: ${formatUsd(cap.spent)} of ${formatUsd(cap.usd)} spent`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
      className={cn('h-2 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800', className)}
    >
      <div
        className={cn(
          'h-full rounded-full transition-[width]',
          level === 'reached' ? 'bg-bad' : level === 'near' ? 'bg-warn' : 'bg-brand-500',
        )}
        style={{ width: `${pct > 0 && pct < 1 ? 1 : pct}%` }}
      />
    </div>
  );
}

/** "$0.0123 of $0.05 · 24.6 %" (the figures as the server computed them, never rounded up to the cap). */
export function CapFigures({ cap }: { cap: Cap }) {
  return (
    <span className="tabular">
      <span
        className={cn(
          'font-medium',
          capLevel(cap) === 'reached' ? 'text-bad' : 'text-zinc-900 dark:text-zinc-100',
        )}
      >
        {formatUsd(cap.spent)}
      </span>{' '}
      <span className="text-zinc-500 dark:text-zinc-400">
        of {formatUsd(cap.usd)} · {formatPct(cap.usedPct)}
      </span>
    </span>
  );
}

export function formatPct(pct: number): string {
  if (pct > 0 && pct < 0.1) return '<0.1 %';
  return `${pct >= 100 ? Math.round(pct) : Math.round(pct * 10) / 10} %`;
}

/** "Resets in 5 hours" (the exact UTC time in the tooltip). */
export function CapReset({ cap }: { cap: Cap }) {
  return (
    <span>
      Resets <RelativeTime date={cap.resetsAt} />
    </span>
  );
}
