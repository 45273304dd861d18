'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardHeader, CardSection, PageHeader } from '../ui/card';
import { FormAlert } from '../ui/form';
import { RowList } from '../ui/list';
import { LoadingLabel, Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { CapActions, SetCapForm } from './cap-forms';
import {
  type Cap,
  CapBar,
  CapFigures,
  CapLevelBadge,
  CapReset,
  capCounts,
  capLevel,
  capTitle,
  PERIOD_LABEL,
} from './cap-meter';

/** May this viewer change this cap? (The server decides; this only hides the buttons.) */
function editable(cap: Cap, canEdit: boolean, isOperator: boolean): boolean {
  if (cap.scope === 'instance' || cap.setByOperator) return isOperator;
  return canEdit;
}

function CapRow({ cap, actions }: { cap: Cap; actions?: ReactNode }) {
  const level = capLevel(cap);
  return (
    <li
      className={
        level === 'reached'
          ? 'border-l-2 border-bad bg-red-50/50 px-5 py-4 dark:bg-red-950/20'
          : 'px-5 py-4'
      }
      data-cap={`${cap.scope}:${cap.period}${cap.setByOperator && cap.scope === 'team' ? ':ceiling' : ''}`}
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1">
          <p className="flex flex-wrap items-center gap-2 text-sm font-medium text-zinc-900 dark:text-zinc-100">
            {capTitle(cap)}
            {cap.scope === 'team' && cap.setByOperator ? (
              <Badge tone="brand">Set by an operator</Badge>
            ) : null}
            <CapLevelBadge cap={cap} />
          </p>
          <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">
            {cap.scope === 'user' && cap.userEmail && cap.userName ? `${cap.userEmail} · ` : null}
            Counts {capCounts(cap)} {PERIOD_LABEL[cap.period].window}
          </p>
        </div>
        {actions}
      </div>
      <div className="mt-3 max-w-2xl">
        <CapBar cap={cap} />
        <div className="mt-1.5 flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 text-xs">
          <CapFigures cap={cap} />
          <span className="text-zinc-500 dark:text-zinc-400">
            <CapReset cap={cap} />
          </span>
        </div>
        {level === 'reached' ? (
          <p className="mt-2 text-xs font-medium text-bad">
            {cap.scope === 'user'
              ? 'Reached: their new tasks in this team are refused'
              : cap.scope === 'instance'
                ? "Reached: every team's new tasks are refused"
                : "Reached: the team's new tasks are refused"}{' '}
            and running ones stop until it resets.
          </p>
        ) : null}
      </div>
    </li>
  );
}

function CapGroup({
  title,
  description,
  caps,
  empty,
  canEdit,
  isOperator,
}: {
  title: string;
  description: ReactNode;
  caps: Cap[];
  empty: { title: string; description: string };
  canEdit: boolean;
  isOperator: boolean;
}) {
  return (
    <CardSection title={title} description={description}>
      {caps.length === 0 ? (
        <EmptyState title={empty.title} description={empty.description} />
      ) : (
        <RowList label={title}>
          {caps.map((cap) => (
            <CapRow
              key={cap.capId}
              cap={cap}
              actions={
                editable(cap, canEdit, isOperator) ? (
                  <CapActions key={`${cap.capId}-${cap.usd}`} cap={cap} />
                ) : null
              }
            />
          ))}
        </RowList>
      )}
    </CardSection>
  );
}

export function TeamBudgetSkeleton() {
  return (
    <div className="space-y-4" aria-busy="true">
      <LoadingLabel label="Loading the budget…" />
      <div className="mb-6 space-y-2">
        <Skeleton className="h-6 w-48" />
        <Skeleton className="h-4 w-96 max-w-full" />
      </div>
      <Skeleton className="h-36 rounded-xl" />
      <Skeleton className="h-36 rounded-xl" />
      <Skeleton className="h-28 rounded-xl" />
    </div>
  );
}

export function TeamBudget({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const budget = useQuery({
    ...trpc.budget.list.queryOptions({ teamId }),
    // Spend moves while tasks run: keep the bars current.
    refetchInterval: 15_000,
  });
  if (team.isPending || budget.isPending) return <TeamBudgetSkeleton />;
  if (team.isError || budget.isError) {
    const failed = team.isError ? team : budget;
    return (
      <Card>
        <ErrorState
          title="Budget unavailable"
          error={failed.error}
          onRetry={() => void failed.refetch()}
          retrying={failed.isFetching}
        />
      </Card>
    );
  }
  const { caps, canEdit, isOperator } = budget.data;
  const instance = caps.filter((c) => c.scope === 'instance');
  const teamCaps = caps.filter((c) => c.scope === 'team');
  const userCaps = caps.filter((c) => c.scope === 'user');
  const reached = caps.filter((c) => capLevel(c) === 'reached');
  return (
    <div className="space-y-4">
      <PageHeader
        title={`${team.data.name} budget`}
        description="Spend caps in USD over UTC days, weeks and months. The strictest cap that applies decides: a task is refused at submit, not started, or stopped while it runs once a cap is reached."
      />
      {reached.length > 0 ? (
        <FormAlert>
          <span className="font-medium">
            {reached.length === 1 ? 'A cap is reached' : `${reached.length} caps are reached`}:
          </span>{' '}
          {reached.map((c) => capTitle(c).toLowerCase()).join(', ')}. New tasks they cover are
          refused until the cap resets or is raised.
        </FormAlert>
      ) : null}
      <CapGroup
        title="Team"
        description={
          isOperator
            ? 'Caps on all of the team’s tasks. Ceilings are yours to set: its admins’ caps stay at or below them.'
            : 'Caps on all of the team’s tasks. A ceiling is set by an operator of this Baton instance; the admins’ caps stay at or below it.'
        }
        caps={teamCaps}
        empty={{
          title: 'No team caps',
          description: canEdit
            ? 'The team’s spending is not capped. Set a daily, weekly or monthly cap below.'
            : 'The team’s spending is not capped. Admins and owners can set caps.',
        }}
        canEdit={canEdit}
        isOperator={isOperator}
      />
      <CapGroup
        title="Members"
        description="Caps on one person’s tasks in this team, on top of the team’s."
        caps={userCaps}
        empty={{
          title: 'No member caps',
          description: canEdit
            ? 'No one in the team has a cap of their own. Choose “Member” below to set one.'
            : 'No one in the team has a cap of their own.',
        }}
        canEdit={canEdit}
        isOperator={isOperator}
      />
      <CapGroup
        title="Instance"
        description={
          isOperator
            ? 'Caps on every team’s tasks together, set by operators like you.'
            : 'Caps on every team’s tasks together, set by the operators of this Baton instance.'
        }
        caps={instance}
        empty={{
          title: 'No instance caps',
          description: 'Nothing limits the spending of all teams together.',
        }}
        canEdit={canEdit}
        isOperator={isOperator}
      />
      {canEdit ? (
        <Card>
          <CardHeader
            title="Set a cap"
            description="Setting a cap that already exists (same scope and period) changes its amount."
          />
          <SetCapForm teamId={teamId} isOperator={isOperator} />
        </Card>
      ) : (
        <p className="px-1 text-xs text-zinc-500 dark:text-zinc-400">
          Admins and owners of the team set its caps; operators of this Baton instance set ceilings
          and instance caps.
        </p>
      )}
    </div>
  );
}
