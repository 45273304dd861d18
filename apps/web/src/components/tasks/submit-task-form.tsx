'use client';

import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { Skeleton } from '../ui/skeleton';
import { errorMessage } from '../ui/states';
import { ModelPicker } from './model-picker';

type Backend = 'api' | 'claude-code';

function optionalNumber(v: FormDataEntryValue | null): number | undefined {
  const s = String(v ?? '').trim();
  return s === '' ? undefined : Number(s);
}

const linkClass = 'font-medium text-brand-700 hover:underline dark:text-brand-100';

/**
 * The claude-code part of the form: the team repository the workspace is cloned from (or an
 * empty workspace), its ref (checked against the repository as soon as it is typed:
 * `repository.checkRef`; `task.submit` checks it again), and the team's tools, which a task may
 * narrow (`settings.claudeCode`; the server refuses a tool the team does not allow).
 */
function ClaudeCodeFields({
  teamId,
  id,
  errors,
}: {
  teamId: string;
  id: string;
  errors: Record<string, string>;
}) {
  const trpc = useTRPC();
  const repos = useQuery(trpc.repository.list.queryOptions({ teamId }));
  const policy = useQuery(trpc.settings.claudeCode.queryOptions({ teamId }));
  const [repository, setRepository] = useState('');
  const [ref, setRef] = useState('');
  // The ref last left (blur): checked once, not on every keystroke.
  const [checking, setChecking] = useState<{ repository: string; ref: string } | null>(null);
  const check = useQuery({
    ...trpc.repository.checkRef.queryOptions(
      checking ? { teamId, repository: checking.repository, ref: checking.ref } : skipToken,
    ),
    retry: false,
    staleTime: 30_000,
  });
  const chosen = repos.data?.find((r) => r.name === repository);
  const current = checking?.repository === repository && checking.ref === ref.trim();
  const checkErrors = current ? fieldErrorsOf(check.error) : {};
  const repositoryError = errors.repository ?? checkErrors.repository;
  const refError =
    errors.ref ??
    checkErrors.ref ??
    (current && check.isError && !checkErrors.repository ? errorMessage(check.error) : undefined);
  const refHint = !repository
    ? 'Choose a repository first.'
    : current && check.data
      ? check.data.commit
        ? `${check.data.ref} is ${check.data.commit.slice(0, 12)}.`
        : `${check.data.ref} exists.`
      : current && check.isFetching
        ? 'Checking…'
        : `Empty: ${chosen?.defaultRef ?? 'the default ref'}.`;

  return (
    <fieldset className="space-y-5 rounded-lg border border-zinc-200 p-4 dark:border-zinc-700">
      <legend className="px-1 text-sm font-medium text-zinc-700 dark:text-zinc-300">
        Workspace and tools
      </legend>
      <div className="grid gap-5 sm:grid-cols-[1fr_14rem]">
        <FormField
          id={`${id}-repository`}
          label="Repository"
          error={repositoryError}
          hint={
            repos.isError ? (
              <>
                Could not load the team's repositories: {errorMessage(repos.error)}{' '}
                <button type="button" className={linkClass} onClick={() => void repos.refetch()}>
                  Try again
                </button>
              </>
            ) : repos.data?.length === 0 ? (
              <>
                The team has no repositories yet;{' '}
                <Link href={`/teams/${teamId}/settings`} className={linkClass}>
                  an admin adds them in Settings
                </Link>
                .
              </>
            ) : (
              'The task works on a fresh clone; without one it starts in an empty folder.'
            )
          }
        >
          {(aria) =>
            repos.isPending ? (
              <Skeleton className="h-[38px]" />
            ) : (
              <select
                {...aria}
                name="repository"
                value={repository}
                onChange={(e) => {
                  setRepository(e.target.value);
                  setRef('');
                  setChecking(null);
                }}
                className={cn(inputClass(repositoryError), 'font-mono')}
              >
                <option value="">None — an empty workspace</option>
                {repos.data?.map((r) => (
                  <option key={r.id} value={r.name}>
                    {r.name}
                  </option>
                ))}
              </select>
            )
          }
        </FormField>
        <FormField id={`${id}-ref`} label="Ref" error={refError} hint={refHint}>
          {(aria) => (
            <input
              {...aria}
              name="ref"
              value={ref}
              disabled={!repository}
              onChange={(e) => setRef(e.target.value)}
              onBlur={() => {
                if (repository) setChecking({ repository, ref: ref.trim() });
              }}
              autoComplete="off"
              spellCheck={false}
              placeholder={chosen?.defaultRef ?? 'main'}
              className={cn(inputClass(refError), 'font-mono')}
            />
          )}
        </FormField>
      </div>
      <fieldset aria-describedby={`${id}-tools-${errors.tools ? 'error' : 'hint'}`}>
        <legend className="flex flex-wrap items-center gap-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">
          Tools
          {policy.data ? (
            <Badge>
              {policy.data.choices.permissionModes.find((m) => m.id === policy.data.permissionMode)
                ?.label ?? policy.data.permissionMode}
            </Badge>
          ) : null}
        </legend>
        {policy.isPending ? (
          <Skeleton className="mt-2 h-9" />
        ) : policy.isError ? (
          <p className="mt-1.5 text-xs text-bad">
            Could not load the team's tools: {errorMessage(policy.error)}{' '}
            <button type="button" className={linkClass} onClick={() => void policy.refetch()}>
              Try again
            </button>
          </p>
        ) : (
          <div className="mt-2 flex flex-wrap gap-2">
            {policy.data.tools.map((t) => (
              <label
                key={t}
                title={policy.data.choices.tools.find((c) => c.id === t)?.label}
                className="inline-flex cursor-pointer items-center gap-1.5 rounded-md border border-zinc-200 px-2.5 py-1.5 font-mono text-xs has-[:checked]:border-brand-500 has-[:checked]:bg-brand-50/60 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-500/40 dark:border-zinc-700 dark:has-[:checked]:bg-brand-700/10"
              >
                <input
                  type="checkbox"
                  name="tools"
                  value={t}
                  defaultChecked
                  className="accent-brand-600"
                />
                {t}
              </label>
            ))}
            <input type="hidden" name="teamTools" value={policy.data.tools.join(',')} />
          </div>
        )}
        {errors.tools ? (
          <p id={`${id}-tools-error`} className="mt-1.5 text-xs text-bad">
            {errors.tools}
          </p>
        ) : (
          <p id={`${id}-tools-hint`} className="mt-1.5 text-xs text-zinc-500 dark:text-zinc-400">
            The team's allowed tools; untick any this task should not use.
          </p>
        )}
      </fieldset>
    </fieldset>
  );
}

/** The tools to send: none when every one of the team's tools is ticked (nothing narrowed). */
export function narrowedTools(d: FormData): string[] | undefined {
  const team = String(d.get('teamTools') ?? '')
    .split(',')
    .filter(Boolean);
  if (team.length === 0) return undefined;
  const ticked = d.getAll('tools').map(String);
  return ticked.length === team.length && team.every((t) => ticked.includes(t))
    ? undefined
    : ticked;
}

/** A field's placeholder when the team has a default for it (the task insert applies it). */
function teamDefault(v: number | null | undefined): string | undefined {
  return v == null ? undefined : `team default: ${v}`;
}

export function SubmitTaskForm({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [backend, setBackend] = useState<Backend>('api');
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const defaults = useQuery(trpc.model.defaults.queryOptions());
  const submit = useMutation(
    trpc.task.submit.mutationOptions({
      onSuccess: async (task) => {
        await queryClient.invalidateQueries({ queryKey: trpc.task.pathKey() });
        router.push(`/teams/${teamId}/tasks/${task.id}`);
      },
    }),
  );
  const errors = fieldErrorsOf(submit.error);
  const known = new Set([
    'prompt',
    'title',
    'backend',
    'model',
    'fallbackModels',
    'repository',
    'ref',
    'tools',
    'maxTurns',
    'budgetUsd',
    'priority',
    'timeoutMs',
  ]);
  const otherError = submit.error && !Object.keys(errors).some((k) => known.has(k));

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const fallback = String(d.get('fallbackModels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const timeoutMin = optionalNumber(d.get('timeoutMin'));
    submit.mutate(
      {
        teamId,
        title: String(d.get('title') ?? '').trim() || undefined,
        prompt: String(d.get('prompt') ?? ''),
        backend,
        model: String(d.get('model') ?? ''),
        fallbackModels: fallback,
        ...(backend === 'claude-code'
          ? {
              repository: String(d.get('repository') ?? '') || undefined,
              ref: String(d.get('ref') ?? '').trim() || undefined,
              tools: narrowedTools(d),
            }
          : {}),
        maxTurns: optionalNumber(d.get('maxTurns')),
        budgetUsd: optionalNumber(d.get('budgetUsd')),
        priority: optionalNumber(d.get('priority')) ?? 0,
        timeoutMs: timeoutMin === undefined ? undefined : Math.round(timeoutMin * 60_000),
      },
      {
        onError: (err) => {
          const first = Object.keys(fieldErrorsOf(err))[0];
          if (first) document.getElementById(`${id}-${first}`)?.focus();
        },
      },
    );
  }

  return (
    <>
      <PageHeader
        title="New task"
        description={team.data ? `Submitted to ${team.data.name}, runs on the worker fleet.` : ' '}
      />
      <Card className="max-w-3xl">
        <form onSubmit={onSubmit} noValidate className="space-y-5 p-5">
          {otherError ? <FormAlert>{errorMessage(submit.error)}</FormAlert> : null}
          <FormField id={`${id}-title`} label="Title (optional)" error={errors.title}>
            {(aria) => (
              <input {...aria} name="title" maxLength={200} className={inputClass(errors.title)} />
            )}
          </FormField>
          <FormField id={`${id}-prompt`} label="Prompt" error={errors.prompt}>
            {(aria) => (
              <textarea
                {...aria}
                name="prompt"
                rows={6}
                required
                placeholder="What should Claude do?"
                className={cn(inputClass(errors.prompt), 'font-mono')}
              />
            )}
          </FormField>
          <fieldset>
            <legend className="text-sm font-medium text-zinc-700 dark:text-zinc-300">
              Backend
            </legend>
            <div className="mt-1.5 grid gap-2 sm:grid-cols-2">
              {(
                [
                  ['api', 'Messages API', 'Streaming, tool loop, prompt caching'],
                  [
                    'claude-code',
                    'Claude Code',
                    'Headless agent in a sandboxed workspace of its own',
                  ],
                ] as const
              ).map(([value, label, hint]) => (
                <label
                  key={value}
                  className={cn(
                    'flex cursor-pointer items-start gap-2 rounded-md border p-3 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-500/40',
                    backend === value
                      ? 'border-brand-500 bg-brand-50/60 dark:bg-brand-700/10'
                      : 'border-zinc-200 dark:border-zinc-700',
                  )}
                >
                  <input
                    type="radio"
                    name="backend"
                    value={value}
                    checked={backend === value}
                    onChange={() => setBackend(value)}
                    className="mt-0.5 accent-brand-600"
                  />
                  <span>
                    <span className="block font-medium">{label}</span>
                    <span className="block text-xs text-zinc-500 dark:text-zinc-400">{hint}</span>
                  </span>
                </label>
              ))}
            </div>
            {errors.backend ? <p className="mt-1.5 text-xs text-bad">{errors.backend}</p> : null}
          </fieldset>
          <div className="grid gap-5 sm:grid-cols-2">
            <ModelPicker id={id} error={errors.model} />
            <FormField
              id={`${id}-fallbackModels`}
              label="Fallback models"
              error={errors.fallbackModels}
              hint="Comma-separated, tried in order when the model is overloaded."
            >
              {(aria) => (
                <input
                  {...aria}
                  name="fallbackModels"
                  placeholder={
                    defaults.data ? `e.g. ${defaults.data.fallbackModels.join(', ')}` : undefined
                  }
                  autoComplete="off"
                  className={cn(inputClass(errors.fallbackModels), 'font-mono')}
                />
              )}
            </FormField>
          </div>
          {backend === 'claude-code' ? (
            <ClaudeCodeFields teamId={teamId} id={id} errors={errors} />
          ) : null}
          <div className="grid grid-cols-2 gap-5 sm:grid-cols-4">
            <FormField id={`${id}-maxTurns`} label="Max turns" error={errors.maxTurns}>
              {(aria) => (
                <input
                  {...aria}
                  name="maxTurns"
                  type="number"
                  min={1}
                  max={500}
                  inputMode="numeric"
                  placeholder={teamDefault(team.data?.defaultMaxTurns)}
                  className={inputClass(errors.maxTurns)}
                />
              )}
            </FormField>
            <FormField id={`${id}-budgetUsd`} label="Budget (USD)" error={errors.budgetUsd}>
              {(aria) => (
                <input
                  {...aria}
                  name="budgetUsd"
                  type="number"
                  min={0}
                  step="0.01"
                  inputMode="decimal"
                  placeholder={teamDefault(
                    team.data?.defaultTaskBudgetUsd == null
                      ? null
                      : Number(team.data.defaultTaskBudgetUsd),
                  )}
                  className={inputClass(errors.budgetUsd)}
                />
              )}
            </FormField>
            <FormField
              id={`${id}-priority`}
              label="Priority"
              error={errors.priority}
              hint="-100 to 100"
            >
              {(aria) => (
                <input
                  {...aria}
                  name="priority"
                  type="number"
                  defaultValue={0}
                  min={-100}
                  max={100}
                  className={inputClass(errors.priority)}
                />
              )}
            </FormField>
            <FormField id={`${id}-timeoutMs`} label="Timeout (min)" error={errors.timeoutMs}>
              {(aria) => (
                <input
                  {...aria}
                  name="timeoutMin"
                  type="number"
                  min={1}
                  step="1"
                  placeholder={teamDefault(
                    team.data?.defaultTimeoutMs == null
                      ? null
                      : team.data.defaultTimeoutMs / 60_000,
                  )}
                  className={inputClass(errors.timeoutMs)}
                />
              )}
            </FormField>
          </div>
          <div className="flex items-center justify-end gap-2 border-t border-zinc-100 pt-4 dark:border-zinc-800">
            <Button onClick={() => router.back()}>Cancel</Button>
            <Button type="submit" variant="primary" disabled={submit.isPending}>
              {submit.isPending ? 'Submitting…' : 'Submit task'}
            </Button>
          </div>
        </form>
      </Card>
    </>
  );
}
