'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { TeamRepositories } from '../repositories/team-repositories';
import { Badge } from '../ui/badges';
import { Card, CardSection, PageHeader } from '../ui/card';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { ListRow, QueryList } from '../ui/list';
import { RelativeTime } from '../ui/relative-time';
import { roleAtLeast } from '../ui/roles';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';
import { numberField } from './fields';
import { McpTokens } from './mcp-tokens';

export const ALERT_METRIC_OPTIONS = [
  ['cost_per_day_usd', 'Cost per day (USD)'],
  ['error_rate', 'Error rate (%)'],
  ['projected_block_tokens', 'Projected 5-hour block tokens'],
  ['queue_depth', 'Queued tasks'],
  ['rate_limit_remaining_ratio', 'Rate limit remaining (%)'],
] as const;

function Saved({ show, children }: { show: boolean; children: ReactNode }) {
  return show ? (
    <output className="text-sm text-emerald-700 dark:text-emerald-300">{children}</output>
  ) : null;
}

/** A number field of the limits form: blank clears it (null), the hint says what blank means. */
function LimitField({
  id,
  name,
  label,
  hint,
  error,
  canEdit,
  value,
  ...input
}: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  error?: string;
  canEdit: boolean;
  value: number | string | null | undefined;
  min?: number;
  max?: number;
  step?: string;
}) {
  return (
    <FormField id={`${id}-${name}`} label={label} error={error} hint={hint}>
      {(aria) => (
        <input
          {...aria}
          {...input}
          name={name}
          type="number"
          disabled={!canEdit}
          defaultValue={value ?? ''}
          className={inputClass(error)}
        />
      )}
    </FormField>
  );
}

function LimitsForm({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const update = useMutation(
    trpc.team.update.mutationOptions({
      onSuccess: () =>
        Promise.all([
          qc.invalidateQueries({ queryKey: trpc.team.pathKey() }),
          // The monthly budget is the team's monthly cap: the Budget page and overview show it.
          qc.invalidateQueries({ queryKey: trpc.budget.pathKey() }),
        ]),
    }),
  );
  const errors = fieldErrorsOf(update.error);
  if (team.isPending) return <Skeleton className="m-5 h-24" />;
  if (team.isError) return <ErrorState error={team.error} onRetry={() => void team.refetch()} />;
  const t = team.data;
  const FIELDS = [
    'maxConcurrentTasks',
    'monthlyBudgetUsd',
    'defaultTaskBudgetUsd',
    'defaultMaxTurns',
    'defaultTimeoutMs',
  ] as const;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const orNull = (v: number | undefined) => (v === undefined ? null : v);
    const minutes = numberField(d.get('defaultTimeoutMin'));
    update.mutate({
      teamId,
      maxConcurrentTasks: numberField(d.get('maxConcurrentTasks')),
      monthlyBudgetUsd: orNull(numberField(d.get('monthlyBudgetUsd'))),
      defaultTaskBudgetUsd: orNull(numberField(d.get('defaultTaskBudgetUsd'))),
      defaultMaxTurns: orNull(numberField(d.get('defaultMaxTurns'))),
      defaultTimeoutMs: minutes === undefined ? null : Math.round(minutes * 60_000),
    });
  }
  return (
    <FormSection
      // Saved values become the form's defaults again.
      key={FIELDS.map((f) => String(t[f])).join(':')}
      onSubmit={onSubmit}
      className="p-5"
      alerts={
        update.error && !FIELDS.some((f) => errors[f]) ? (
          <FormAlert>{errorMessage(update.error)}</FormAlert>
        ) : null
      }
      footer={
        canEdit ? (
          <SubmitRow
            label="Save limits"
            pendingLabel="Saving…"
            pending={update.isPending}
            status={<Saved show={update.isSuccess}>Saved.</Saved>}
          />
        ) : (
          <p className="text-xs text-zinc-500">Admins and owners can change these.</p>
        )
      }
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <LimitField
          id={id}
          name="maxConcurrentTasks"
          label="Max concurrent tasks"
          hint={`At most ${t.maxConcurrentCeiling}, the ceiling an instance operator set.`}
          error={errors.maxConcurrentTasks}
          canEdit={canEdit}
          value={t.maxConcurrentTasks}
          min={1}
          max={t.maxConcurrentCeiling}
        />
        <LimitField
          id={id}
          name="monthlyBudgetUsd"
          label="Monthly budget (USD, empty = none)"
          hint="The team's monthly spend cap: at it, tasks are refused and running ones stop."
          error={errors.monthlyBudgetUsd}
          canEdit={canEdit}
          value={t.monthlyBudgetUsd}
          min={0}
          step="0.01"
        />
      </div>
      <fieldset className="grid gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">
          Task defaults{' '}
          <span className="font-normal text-zinc-500 dark:text-zinc-400">
            — for a task that names none of its own
          </span>
        </legend>
        <LimitField
          id={id}
          name="defaultTaskBudgetUsd"
          label="Budget per task (USD)"
          hint="Empty: no budget."
          error={errors.defaultTaskBudgetUsd}
          canEdit={canEdit}
          value={t.defaultTaskBudgetUsd === null ? null : Number(t.defaultTaskBudgetUsd)}
          min={0}
          step="any"
        />
        <LimitField
          id={id}
          name="defaultMaxTurns"
          label="Max turns"
          hint="Empty: the backend's default."
          error={errors.defaultMaxTurns}
          canEdit={canEdit}
          value={t.defaultMaxTurns}
          min={1}
          max={500}
        />
        <LimitField
          id={id}
          name="defaultTimeoutMin"
          label="Timeout (min)"
          hint="Empty: the worker's default (30 min)."
          error={errors.defaultTimeoutMs}
          canEdit={canEdit}
          value={t.defaultTimeoutMs === null ? null : t.defaultTimeoutMs / 60_000}
          min={0}
          step="any"
        />
      </fieldset>
    </FormSection>
  );
}

function Credentials({
  teamId,
  canEdit,
  allowInstanceKey,
}: {
  teamId: string;
  canEdit: boolean;
  allowInstanceKey: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const list = useQuery(trpc.settings.credentials.queryOptions({ teamId }));
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.settings.credentials.queryKey({ teamId }) });
  const save = useMutation(trpc.settings.saveCredential.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.settings.deleteCredential.mutationOptions({ onSuccess: refresh }),
  );
  const errors = fieldErrorsOf(save.error);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    save.mutate(
      { teamId, label: String(d.get('label') ?? ''), apiKey: String(d.get('apiKey') ?? '') },
      { onSuccess: () => form.reset() },
    );
  }
  return (
    <>
      <QueryList
        query={list}
        empty={{
          title: 'No credentials',
          description: allowInstanceKey
            ? "Without one, this team's tasks use the instance's provider key (an operator allows it)."
            : "Without one, this team's tasks cannot run: an operator has not allowed it the instance's key. Add a key below.",
        }}
      >
        {(c) => (
          <ListRow
            key={c.id}
            actions={
              canEdit ? (
                <Button
                  variant="danger"
                  onClick={() => remove.mutate({ teamId, credentialId: c.id })}
                  disabled={remove.isPending}
                >
                  Delete<span className="sr-only"> {c.label}</span>
                </Button>
              ) : null
            }
          >
            <p className="font-medium">{c.label}</p>
            <p className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
              {c.fingerprint} · {c.rotatedAt ? 'rotated' : 'added'}{' '}
              <RelativeTime date={c.rotatedAt ?? c.createdAt} />
            </p>
          </ListRow>
        )}
      </QueryList>
      {canEdit ? (
        <FormSection
          onSubmit={onSubmit}
          className="border-t border-zinc-100 p-5 dark:border-zinc-800"
          alerts={
            <>
              {save.error && !errors.label && !errors.apiKey ? (
                <FormAlert>{errorMessage(save.error)}</FormAlert>
              ) : null}
              {remove.error ? <FormAlert>{errorMessage(remove.error)}</FormAlert> : null}
            </>
          }
          footer={
            <SubmitRow
              label="Save key"
              pendingLabel="Encrypting…"
              pending={save.isPending}
              status={
                <Saved show={save.isSuccess}>Saved — fingerprint {save.data?.fingerprint}</Saved>
              }
            />
          }
        >
          <div className="grid gap-4 sm:grid-cols-[12rem_1fr]">
            <FormField id={`${id}-label`} label="Name" error={errors.label}>
              {(aria) => (
                <input
                  {...aria}
                  name="label"
                  defaultValue="default"
                  className={inputClass(errors.label)}
                />
              )}
            </FormField>
            <FormField id={`${id}-apiKey`} label="Anthropic API key" error={errors.apiKey}>
              {(aria) => (
                <input
                  {...aria}
                  name="apiKey"
                  type="password"
                  autoComplete="off"
                  placeholder="sk-ant-…"
                  className={`${inputClass(errors.apiKey)} font-mono`}
                />
              )}
            </FormField>
          </div>
        </FormSection>
      ) : null}
    </>
  );
}

function AlertRules({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const list = useQuery(trpc.settings.alertRules.queryOptions({ teamId }));
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.settings.alertRules.queryKey({ teamId }) });
  const create = useMutation(trpc.settings.createAlertRule.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.settings.deleteAlertRule.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrorsOf(create.error);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    create.mutate(
      {
        teamId,
        name: String(d.get('name') ?? ''),
        metric: String(d.get('metric')) as (typeof ALERT_METRIC_OPTIONS)[number][0],
        comparator: d.get('comparator') === 'lt' ? 'lt' : 'gt',
        threshold: numberField(d.get('threshold')) as number,
        windowMinutes: numberField(d.get('windowMinutes')),
      },
      { onSuccess: () => form.reset() },
    );
  }
  return (
    <>
      <QueryList
        query={list}
        empty={{
          title: 'No alert rules',
          description: 'Add one below; alerts show on the Live page.',
        }}
      >
        {(r) => (
          <ListRow
            key={r.id}
            actions={
              canEdit ? (
                <Button
                  variant="danger"
                  onClick={() => remove.mutate({ teamId, ruleId: r.id })}
                  disabled={remove.isPending}
                >
                  Delete<span className="sr-only"> {r.name}</span>
                </Button>
              ) : null
            }
          >
            <p className="font-medium">
              {r.name} {r.enabled ? null : <Badge>disabled</Badge>}
            </p>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              {r.metricLabel} {r.comparator === 'lt' ? 'under' : 'over'} {Number(r.threshold)} ·
              over {r.windowMinutes} min
            </p>
          </ListRow>
        )}
      </QueryList>
      {canEdit ? (
        <FormSection
          onSubmit={onSubmit}
          className="border-t border-zinc-100 p-5 dark:border-zinc-800"
          alerts={
            create.error && Object.keys(errors).length === 0 ? (
              <FormAlert>{errorMessage(create.error)}</FormAlert>
            ) : null
          }
          footer={<SubmitRow label="Add rule" pendingLabel="Adding…" pending={create.isPending} />}
        >
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
            <FormField id={`${id}-name`} label="Rule name" error={errors.name}>
              {(aria) => <input {...aria} name="name" className={inputClass(errors.name)} />}
            </FormField>
            <FormField id={`${id}-metric`} label="Metric" error={errors.metric}>
              {(aria) => (
                <select {...aria} name="metric" className={inputClass(errors.metric)}>
                  {ALERT_METRIC_OPTIONS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
            <FormField id={`${id}-comparator`} label="When" error={errors.comparator}>
              {(aria) => (
                <select {...aria} name="comparator" className={inputClass(errors.comparator)}>
                  <option value="gt">over</option>
                  <option value="lt">under</option>
                </select>
              )}
            </FormField>
            <FormField id={`${id}-threshold`} label="Threshold" error={errors.threshold}>
              {(aria) => (
                <input
                  {...aria}
                  name="threshold"
                  type="number"
                  step="any"
                  min={0}
                  className={inputClass(errors.threshold)}
                />
              )}
            </FormField>
            <FormField id={`${id}-windowMinutes`} label="Window (min)" error={errors.windowMinutes}>
              {(aria) => (
                <input
                  {...aria}
                  name="windowMinutes"
                  type="number"
                  min={5}
                  defaultValue={60}
                  className={inputClass(errors.windowMinutes)}
                />
              )}
            </FormField>
          </div>
        </FormSection>
      ) : null}
    </>
  );
}

/** The team's Claude Code policy (`settings.claudeCode`), which admins change (`settings.setClaudeCode`). */
function ClaudeCodePolicy({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const policy = useQuery(trpc.settings.claudeCode.queryOptions({ teamId }));
  const save = useMutation(
    trpc.settings.setClaudeCode.mutationOptions({
      onSuccess: (data) => qc.setQueryData(trpc.settings.claudeCode.queryKey({ teamId }), data),
    }),
  );
  const errors = fieldErrorsOf(save.error);
  if (policy.isPending) return <Skeleton className="m-5 h-40" />;
  if (policy.isError)
    return <ErrorState error={policy.error} onRetry={() => void policy.refetch()} />;
  const p = policy.data;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    save.mutate({
      teamId,
      tools: d.getAll('tools').map(String),
      permissionMode: String(d.get('permissionMode')) as typeof p.permissionMode,
    });
  }
  function applyDefaults(form: HTMLFormElement | null) {
    if (!form) return;
    for (const box of form.querySelectorAll<HTMLInputElement>('input[name="tools"]'))
      box.checked = p.defaults.tools.includes(box.value);
    const mode = form.querySelector<HTMLSelectElement>('select[name="permissionMode"]');
    if (mode) mode.value = p.defaults.permissionMode;
  }
  return (
    <FormSection
      // Saved values become the form's defaults again.
      key={`${p.tools.join(',')}:${p.permissionMode}`}
      onSubmit={onSubmit}
      className="p-5"
      alerts={
        save.error && !errors.tools && !errors.permissionMode ? (
          <FormAlert>{errorMessage(save.error)}</FormAlert>
        ) : null
      }
      footer={
        canEdit ? (
          <div className="flex flex-wrap items-center justify-between gap-3">
            <Button onClick={(e) => applyDefaults(e.currentTarget.form)}>
              Use Baton's defaults
            </Button>
            <SubmitRow
              label="Save policy"
              pendingLabel="Saving…"
              pending={save.isPending}
              status={<Saved show={save.isSuccess}>Saved.</Saved>}
            />
          </div>
        ) : (
          <p className="text-xs text-zinc-500">Admins and owners can change these.</p>
        )
      }
    >
      <fieldset aria-describedby={errors.tools ? `${id}-tools-error` : undefined}>
        <legend className="flex items-center gap-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">
          Allowed tools
          {p.isDefault ? <Badge>Baton's default</Badge> : null}
        </legend>
        <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">
          A task may narrow this list when it is submitted, never widen it.
        </p>
        <div className="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
          {p.choices.tools.map((t) => (
            <label
              key={t.id}
              className="flex items-start gap-2 rounded-md border border-zinc-200 p-2.5 text-sm has-[:checked]:border-brand-500 has-[:checked]:bg-brand-50/60 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-500/40 dark:border-zinc-700 dark:has-[:checked]:bg-brand-700/10"
            >
              <input
                type="checkbox"
                name="tools"
                value={t.id}
                defaultChecked={p.tools.includes(t.id)}
                disabled={!canEdit}
                className="mt-0.5 accent-brand-600"
              />
              <span>
                <span className="block font-mono text-xs font-semibold">{t.id}</span>
                <span className="block text-xs text-zinc-500 dark:text-zinc-400">{t.label}</span>
              </span>
            </label>
          ))}
        </div>
        {errors.tools ? (
          <p id={`${id}-tools-error`} className="mt-1.5 text-xs text-bad">
            {errors.tools}
          </p>
        ) : null}
      </fieldset>
      <FormField
        id={`${id}-permissionMode`}
        label="Permission mode"
        error={errors.permissionMode}
        hint="Headless, a tool call the mode does not approve is refused."
        className="max-w-xl"
      >
        {(aria) => (
          <select
            {...aria}
            name="permissionMode"
            defaultValue={p.permissionMode}
            disabled={!canEdit}
            className={inputClass(errors.permissionMode)}
          >
            {p.choices.permissionModes.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        )}
      </FormField>
    </FormSection>
  );
}

export function TeamSettings({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  if (team.isPending) {
    return (
      <div className="space-y-4" aria-busy="true">
        <Skeleton className="h-7 w-48" />
        <Skeleton className="h-40" />
        <Skeleton className="h-40" />
      </div>
    );
  }
  if (team.isError) {
    return (
      <Card>
        <ErrorState
          title="Settings unavailable"
          error={team.error}
          onRetry={() => void team.refetch()}
        />
      </Card>
    );
  }
  const admin = roleAtLeast(team.data.role, 'admin');
  return (
    <div className="space-y-4">
      <PageHeader title={`${team.data.name} settings`} description={`You are ${team.data.role}.`} />
      <CardSection
        title="Limits and task defaults"
        description="Tasks above the concurrency limit wait in the queue; the Budget page has every spend cap."
      >
        <LimitsForm teamId={teamId} canEdit={admin} />
      </CardSection>
      <CardSection
        title="Provider credentials"
        description="Encrypted with BATON_SECRET (AES-256-GCM); only a fingerprint is ever shown."
      >
        <Credentials
          teamId={teamId}
          canEdit={admin}
          allowInstanceKey={team.data.allowInstanceKey}
        />
      </CardSection>
      <CardSection
        title="Alert rules"
        description="Evaluated in the background every 30 seconds; open alerts show on the Live page and as a badge beside the team."
      >
        <AlertRules teamId={teamId} canEdit={admin} />
      </CardSection>
      <CardSection
        title="Repositories"
        description="Git repositories a claude-code task may work on: its workspace is then a fresh clone at the ref it asks for."
      >
        <TeamRepositories teamId={teamId} canEdit={admin} />
      </CardSection>
      <CardSection
        title="Claude Code tools and permission mode"
        description="What claude-code tasks of this team may use inside their sandbox; tasks started afterwards follow it."
      >
        <ClaudeCodePolicy teamId={teamId} canEdit={admin} />
      </CardSection>
      <CardSection
        title="MCP tokens"
        description="Bearer tokens for Baton's MCP server (port 4030, /mcp): each acts as this team, as the member who created it. Revoking one refuses its next request."
      >
        <McpTokens teamId={teamId} isAdmin={admin} />
      </CardSection>
    </div>
  );
}
