'use client';

import type { SpendPeriod } from '@baton/db/schema';

/** The schema's periods (a type-only import: the client bundle holds no server module); the type checks it names each. */
const PERIOD_SET = { daily: true, weekly: true, monthly: true } satisfies Record<SpendPeriod, true>;
const SPEND_PERIODS = Object.keys(PERIOD_SET) as SpendPeriod[];

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { errorMessage } from '../ui/states';
import { type Cap, capTitle, PERIOD_LABEL } from './cap-meter';

/** What the "Set a cap" form can set: the admins' caps, and (operators) ceilings and instance caps. */
const KINDS = {
  team: { label: 'Team — all of its tasks', operator: false },
  user: { label: 'Member — one person’s tasks in this team', operator: false },
  ceiling: { label: 'Team ceiling — admins’ caps stay below it (operator)', operator: true },
  instance: { label: 'Instance — every team (operator)', operator: true },
} as const;
type Kind = keyof typeof KINDS;

const FORM_FIELDS = new Set(['scope', 'userId', 'period', 'usd', 'ceiling']);

function useInvalidateBudget() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.budget.pathKey() }),
      qc.invalidateQueries({ queryKey: trpc.team.get.pathKey() }),
    ]);
}

function Saved({ show, children }: { show: boolean; children: React.ReactNode }) {
  return show ? (
    <output className="text-sm text-emerald-700 dark:text-emerald-300">{children}</output>
  ) : null;
}

/** The form under the caps: a new cap, or a new amount for an existing one of the same key. */
export function SetCapForm({ teamId, isOperator }: { teamId: string; isOperator: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const invalidate = useInvalidateBudget();
  const [kind, setKind] = useState<Kind>('team');
  const members = useQuery({
    ...trpc.team.members.queryOptions({ teamId }),
    enabled: kind === 'user',
  });
  const set = useMutation(trpc.budget.set.mutationOptions({ onSuccess: () => invalidate() }));
  const errors = fieldErrorsOf(set.error);
  const formError = set.error && !Object.keys(errors).some((k) => FORM_FIELDS.has(k));

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    const period = String(d.get('period') ?? 'daily') as SpendPeriod;
    const usd = String(d.get('usd') ?? '');
    set.mutate(
      kind === 'instance'
        ? { scope: 'instance', period, usd }
        : kind === 'user'
          ? { scope: 'user', teamId, userId: String(d.get('userId') ?? ''), period, usd }
          : { scope: 'team', teamId, period, usd, ceiling: kind === 'ceiling' },
      {
        onSuccess: () => {
          const input = form.elements.namedItem('usd');
          if (input instanceof HTMLInputElement) input.value = '';
        },
      },
    );
  }

  return (
    <FormSection
      onSubmit={onSubmit}
      className="p-5"
      alerts={formError ? <FormAlert>{errorMessage(set.error)}</FormAlert> : null}
      footer={
        <SubmitRow
          label="Set cap"
          pendingLabel="Saving…"
          pending={set.isPending}
          status={
            <Saved show={set.isSuccess && !set.isPending}>
              {set.data ? `${capTitle(set.data)} set to $${set.data.usd}.` : 'Saved.'}
            </Saved>
          }
        />
      }
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <FormField
          id={`${id}-scope`}
          label="Applies to"
          error={errors.scope ?? errors.ceiling}
          className="lg:col-span-2"
        >
          {(aria) => (
            <select
              {...aria}
              name="scope"
              value={kind}
              onChange={(e) => {
                setKind(e.target.value as Kind);
                set.reset();
              }}
              className={inputClass(errors.scope ?? errors.ceiling)}
            >
              {(Object.keys(KINDS) as Kind[])
                .filter((k) => isOperator || !KINDS[k].operator)
                .map((k) => (
                  <option key={k} value={k}>
                    {KINDS[k].label}
                  </option>
                ))}
            </select>
          )}
        </FormField>
        {kind === 'user' ? (
          <FormField
            id={`${id}-userId`}
            label="Member"
            error={errors.userId ?? (members.isError ? errorMessage(members.error) : undefined)}
            className="lg:col-span-2"
          >
            {(aria) => (
              <select
                {...aria}
                name="userId"
                disabled={members.isPending || members.isError}
                className={inputClass(errors.userId)}
              >
                {members.isPending ? <option value="">Loading members…</option> : null}
                {members.data?.map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {m.name} ({m.email})
                  </option>
                ))}
              </select>
            )}
          </FormField>
        ) : null}
        <FormField
          id={`${id}-period`}
          label="Period"
          error={errors.period}
          hint="UTC days; weeks start on Monday."
        >
          {(aria) => (
            <select
              {...aria}
              name="period"
              defaultValue="daily"
              className={inputClass(errors.period)}
            >
              {SPEND_PERIODS.map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABEL[p].adjective}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${id}-usd`}
          label="Cap (USD)"
          error={errors.usd}
          hint="Up to 4 decimals, e.g. 25 or 0.50."
        >
          {(aria) => (
            <input
              {...aria}
              name="usd"
              inputMode="decimal"
              autoComplete="off"
              placeholder="25.00"
              className={`${inputClass(errors.usd)} tabular`}
            />
          )}
        </FormField>
      </div>
    </FormSection>
  );
}

/** The key that names an existing cap for `budget.set` / `budget.remove`. */
function keyOf(cap: Cap) {
  if (cap.scope === 'instance') return { scope: 'instance' as const, period: cap.period };
  if (cap.scope === 'user')
    return {
      scope: 'user' as const,
      teamId: cap.teamId ?? undefined,
      userId: cap.userId ?? undefined,
      period: cap.period,
    };
  return {
    scope: 'team' as const,
    teamId: cap.teamId ?? undefined,
    period: cap.period,
    ceiling: cap.setByOperator,
  };
}

/** A cap's actions: edit its amount in place, or remove it. */
export function CapActions({ cap }: { cap: Cap }) {
  const trpc = useTRPC();
  const id = useId();
  const invalidate = useInvalidateBudget();
  const [editing, setEditing] = useState(false);
  const set = useMutation(
    trpc.budget.set.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        setEditing(false);
      },
    }),
  );
  const remove = useMutation(trpc.budget.remove.mutationOptions({ onSuccess: () => invalidate() }));
  const errors = fieldErrorsOf(set.error);
  const title = capTitle(cap);

  if (!editing) {
    return (
      <div className="flex flex-col items-end gap-1.5">
        <div className="flex gap-2">
          <Button
            onClick={() => {
              set.reset();
              remove.reset();
              setEditing(true);
            }}
          >
            Edit<span className="sr-only"> {title}</span>
          </Button>
          <Button
            variant="danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate(keyOf(cap))}
          >
            {remove.isPending ? 'Removing…' : 'Remove'}
            <span className="sr-only"> {title}</span>
          </Button>
        </div>
        {remove.error ? (
          <p role="alert" className="max-w-xs text-right text-xs text-bad">
            {errorMessage(remove.error)}
          </p>
        ) : null}
      </div>
    );
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    set.mutate({ ...keyOf(cap), usd: String(d.get('usd') ?? '') });
  }
  return (
    <form onSubmit={onSubmit} noValidate className="flex flex-wrap items-start gap-2">
      <FormField
        id={`${id}-usd`}
        label={<span className="sr-only">New amount for the {title.toLowerCase()} (USD)</span>}
        error={errors.usd ?? (set.error && !errors.usd ? errorMessage(set.error) : undefined)}
        className="w-40 [&>div]:mt-0"
      >
        {(aria) => (
          <input
            {...aria}
            name="usd"
            inputMode="decimal"
            autoComplete="off"
            // biome-ignore lint/a11y/noAutofocus: the field the Edit button opened
            autoFocus
            defaultValue={cap.usd}
            className={`${inputClass(errors.usd)} py-1.5 tabular`}
          />
        )}
      </FormField>
      <Button type="submit" variant="primary" disabled={set.isPending}>
        {set.isPending ? 'Saving…' : 'Save'}
      </Button>
      <Button onClick={() => setEditing(false)} disabled={set.isPending}>
        Cancel
      </Button>
    </form>
  );
}
