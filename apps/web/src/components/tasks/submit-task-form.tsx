'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Card, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { errorMessage } from '../ui/states';

export const SUGGESTED_MODELS = [
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-4-5',
  'claude-opus-5-5',
] as const;

type Backend = 'api' | 'claude-code';

function optionalNumber(v: FormDataEntryValue | null): number | undefined {
  const s = String(v ?? '').trim();
  return s === '' ? undefined : Number(s);
}

export function SubmitTaskForm({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [backend, setBackend] = useState<Backend>('api');
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
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
    'cwd',
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
        cwd: backend === 'claude-code' ? String(d.get('cwd') ?? '').trim() || undefined : undefined,
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
                    'Headless agent with tools in a working directory',
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
            <FormField id={`${id}-model`} label="Model" error={errors.model}>
              {(aria) => (
                <>
                  <input
                    {...aria}
                    name="model"
                    list={`${id}-models`}
                    defaultValue="claude-sonnet-4-5"
                    autoComplete="off"
                    className={cn(inputClass(errors.model), 'font-mono')}
                  />
                  <datalist id={`${id}-models`}>
                    {SUGGESTED_MODELS.map((m) => (
                      <option key={m} value={m} />
                    ))}
                  </datalist>
                </>
              )}
            </FormField>
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
                  placeholder="claude-haiku-4-5"
                  autoComplete="off"
                  className={cn(inputClass(errors.fallbackModels), 'font-mono')}
                />
              )}
            </FormField>
          </div>
          {backend === 'claude-code' ? (
            <FormField
              id={`${id}-cwd`}
              label="Working directory"
              error={errors.cwd}
              hint="Absolute path on the worker where Claude Code runs."
            >
              {(aria) => (
                <input
                  {...aria}
                  name="cwd"
                  placeholder="/srv/repos/app"
                  className={cn(inputClass(errors.cwd), 'font-mono')}
                />
              )}
            </FormField>
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
