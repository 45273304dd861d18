'use client';

import type { RouterOutputs } from '@baton/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { CardSection } from '../ui/card';
import { FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';
import { numberField } from './fields';

type Team = RouterOutputs['team']['get'];

const FIELDS = new Set(['allowInstanceKey', 'shareWeight', 'maxConcurrentCeiling']);

/** Which key the team's tasks run with, in one phrase. */
function keySummary(team: Team): { label: string; tone: 'ok' | 'neutral' | 'bad' } {
  if (team.hasOwnKey) return { label: 'Its own provider key', tone: 'ok' };
  if (team.allowInstanceKey)
    return { label: 'The instance key (it has none of its own)', tone: 'neutral' };
  return { label: 'None: tasks are refused until a key is added', tone: 'bad' };
}

function ReadOnly({ team }: { team: Team }) {
  const key = keySummary(team);
  const rows: [string, React.ReactNode][] = [
    [
      'Tasks run with',
      <Badge key="k" tone={key.tone}>
        {key.label}
      </Badge>,
    ],
    ['May use the instance key', team.allowInstanceKey ? 'Yes' : 'No'],
    ['Share weight', `${team.shareWeight} (of 1–100)`],
    [
      'Concurrency ceiling',
      `${team.maxConcurrentCeiling} tasks (quota now ${team.maxConcurrentTasks})`,
    ],
  ];
  return (
    <div className="p-5">
      <dl className="divide-y divide-zinc-100 dark:divide-zinc-800">
        {rows.map(([label, value]) => (
          <div key={label} className="flex items-baseline justify-between gap-4 py-2.5">
            <dt className="text-sm text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd className="text-right text-sm font-medium text-zinc-900 tabular dark:text-zinc-100">
              {value}
            </dd>
          </div>
        ))}
      </dl>
      <p className="mt-3 text-xs text-zinc-500 dark:text-zinc-400">
        Only an operator of this Baton instance can change these (an operator grants the role with{' '}
        <code className="font-mono">baton operator grant &lt;email&gt;</code>).
      </p>
    </div>
  );
}

function OperatorForm({ team }: { team: Team }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const save = useMutation(
    trpc.team.setOperatorSettings.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.team.pathKey() }),
    }),
  );
  const errors = fieldErrorsOf(save.error);
  const formError = save.error && !Object.keys(errors).some((k) => FIELDS.has(k));
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    save.mutate({
      teamId: team.id,
      allowInstanceKey: d.get('allowInstanceKey') === 'on',
      shareWeight: numberField(d.get('shareWeight')),
      maxConcurrentCeiling: numberField(d.get('maxConcurrentCeiling')),
    });
  }
  const key = keySummary(team);
  return (
    <FormSection
      onSubmit={onSubmit}
      className="p-5"
      alerts={formError ? <FormAlert>{errorMessage(save.error)}</FormAlert> : null}
      footer={
        <SubmitRow
          label="Save operator settings"
          pendingLabel="Saving…"
          pending={save.isPending}
          status={
            save.isSuccess && !save.isPending ? (
              <output className="text-sm text-emerald-700 dark:text-emerald-300">Saved.</output>
            ) : undefined
          }
        />
      }
    >
      <div>
        <div className="flex items-start gap-3">
          <input
            id={`${id}-allowInstanceKey`}
            name="allowInstanceKey"
            type="checkbox"
            defaultChecked={team.allowInstanceKey}
            aria-describedby={`${id}-allowInstanceKey-hint`}
            className="mt-0.5 size-4 rounded border-zinc-300 accent-zinc-900 dark:border-zinc-700 dark:accent-zinc-100"
          />
          <div>
            <label
              htmlFor={`${id}-allowInstanceKey`}
              className="text-sm font-medium text-zinc-700 dark:text-zinc-300"
            >
              Allow the instance key
            </label>
            <p
              id={`${id}-allowInstanceKey-hint`}
              className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400"
            >
              When the team has no provider key of its own, its tasks may run on this instance’s
              key. Now: <Badge tone={key.tone}>{key.label}</Badge>
            </p>
            {errors.allowInstanceKey ? (
              <p className="mt-1.5 text-xs text-bad">{errors.allowInstanceKey}</p>
            ) : null}
          </div>
        </div>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField
          id={`${id}-shareWeight`}
          label="Share weight"
          error={errors.shareWeight}
          hint="1–100: the team’s share of workers and rate limits against other teams."
        >
          {(aria) => (
            <input
              {...aria}
              name="shareWeight"
              type="number"
              min={1}
              max={100}
              step={1}
              defaultValue={team.shareWeight}
              className={inputClass(errors.shareWeight)}
            />
          )}
        </FormField>
        <FormField
          id={`${id}-maxConcurrentCeiling`}
          label="Concurrency ceiling"
          error={errors.maxConcurrentCeiling}
          hint={`The most concurrent tasks its admins may allow (quota now ${team.maxConcurrentTasks}; a higher quota is lowered to it).`}
        >
          {(aria) => (
            <input
              {...aria}
              name="maxConcurrentCeiling"
              type="number"
              min={1}
              max={1000}
              step={1}
              defaultValue={team.maxConcurrentCeiling}
              className={inputClass(errors.maxConcurrentCeiling)}
            />
          )}
        </FormField>
      </div>
    </FormSection>
  );
}

/** An instance operator's settings for the team: editable by operators, read-only for everyone else. */
export function OperatorTeamSettings({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const me = useQuery(trpc.system.me.queryOptions());
  const failed = team.isError ? team : me.isError ? me : null;
  return (
    <CardSection
      title="Operator settings"
      description="Provider key permission, fair share and the concurrency ceiling, set by the operators of this Baton instance."
    >
      {team.isPending || me.isPending ? (
        <Skeleton className="m-5 h-24" />
      ) : failed ? (
        <ErrorState
          error={failed.error}
          onRetry={() => void failed.refetch()}
          retrying={failed.isFetching}
        />
      ) : me.data?.isOperator ? (
        <OperatorForm team={team.data as Team} />
      ) : (
        <ReadOnly team={team.data as Team} />
      )}
    </CardSection>
  );
}
