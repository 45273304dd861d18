'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { numberField } from '../settings/fields';
import { Badge } from '../ui/badges';
import { Card, CardHeader, CardSection, PageHeader } from '../ui/card';
import { FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';

/** The instance's sandbox settings (`system.setSandbox`'s input), each with its range. */
export const SANDBOX_FIELDS = [
  {
    name: 'workspaceRetentionDays',
    label: 'Workspace retention (days)',
    hint: 'A finished task’s workspace is removed from the worker this long after it ends. 1 to 3,650.',
    min: 1,
    max: 3650,
  },
  {
    name: 'taskMemoryMb',
    label: 'Memory per task (MiB)',
    hint: 'The whole Claude Code process tree. 64 to 1,048,576.',
    min: 64,
    max: 1_048_576,
  },
  {
    name: 'taskMaxProcesses',
    label: 'Processes per task',
    hint: 'Processes and threads at once. 8 to 100,000.',
    min: 8,
    max: 100_000,
  },
  {
    name: 'taskCpuSeconds',
    label: 'CPU time per attempt (s)',
    hint: 'Of the whole process tree. 10 to 604,800.',
    min: 10,
    max: 604_800,
  },
  {
    name: 'taskDiskMb',
    label: 'Disk per task (MiB)',
    hint: 'The workspace and the task’s private HOME. 16 to 10,485,760.',
    min: 16,
    max: 10_485_760,
  },
] as const;

type FieldName = (typeof SANDBOX_FIELDS)[number]['name'];

/**
 * Settings → Sandbox: workspace retention and the default resource limits of every
 * claude-code task (`system.sandbox`, readable by anyone signed in; `system.setSandbox`,
 * operators only — the form is read-only for everyone else), and where the sandbox mode is set.
 */
export function SandboxSettings() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const settings = useQuery(trpc.system.sandbox.queryOptions());
  const save = useMutation(
    trpc.system.setSandbox.mutationOptions({
      onSuccess: (data) => qc.setQueryData(trpc.system.sandbox.queryKey(), data),
    }),
  );
  const errors = fieldErrorsOf(save.error);

  if (settings.isPending) return <SandboxSettingsSkeleton />;
  if (settings.isError) {
    return (
      <>
        <PageHeader title="Sandbox" />
        <Card>
          <ErrorState
            title="Sandbox settings unavailable"
            error={settings.error}
            onRetry={() => void settings.refetch()}
            retrying={settings.isFetching}
          />
        </Card>
      </>
    );
  }
  const s = settings.data;
  const canEdit = s.canEdit;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const value = (name: FieldName) => numberField(d.get(name)) as number;
    save.mutate(
      {
        workspaceRetentionDays: value('workspaceRetentionDays'),
        taskMemoryMb: value('taskMemoryMb'),
        taskMaxProcesses: value('taskMaxProcesses'),
        taskCpuSeconds: value('taskCpuSeconds'),
        taskDiskMb: value('taskDiskMb'),
      },
      {
        onError: (err) => {
          const first = SANDBOX_FIELDS.find((f) => fieldErrorsOf(err)[f.name]);
          if (first) document.getElementById(`${id}-${first.name}`)?.focus();
        },
      },
    );
  }

  return (
    <div className="space-y-4">
      <PageHeader
        title="Sandbox"
        description="How every team's claude-code tasks are confined on this instance."
      />
      <CardSection
        title="Sandbox mode"
        description="Set on each worker by BATON_SANDBOX when it starts."
      >
        <div className="space-y-2 p-5 text-sm text-zinc-700 dark:text-zinc-300">
          <p>
            <Badge tone="ok">required</Badge> (the default): every claude-code task runs inside a
            bubblewrap sandbox — its workspace read-write, no view of the worker, its secrets, the
            database or other workspaces, network only to the provider. A worker that cannot start
            the sandbox refuses those tasks, and its /readyz says why.
          </p>
          <p>
            <Badge tone="warn">off</Badge> is for a developer’s own machine: tasks run unconfined,
            and the Live page and every task it ran show a warning.
          </p>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            Each worker’s mode shows in the Workers table of a team’s Live page.
          </p>
        </div>
      </CardSection>
      <Card>
        <CardHeader
          title="Retention and limits"
          description="Workers read these when a task starts; a task that reaches a limit ends with ResourceLimit."
          action={
            <span className="text-xs text-zinc-500 dark:text-zinc-400">
              updated <RelativeTime date={s.updatedAt} />
            </span>
          }
        />
        <FormSection
          key={s.updatedAt.toISOString()}
          onSubmit={onSubmit}
          className="p-5"
          alerts={
            save.error && !SANDBOX_FIELDS.some((f) => errors[f.name]) ? (
              <FormAlert>{errorMessage(save.error)}</FormAlert>
            ) : null
          }
          footer={
            canEdit ? (
              <SubmitRow
                label="Save settings"
                pendingLabel="Saving…"
                pending={save.isPending}
                status={
                  save.isSuccess ? (
                    <output className="text-sm text-emerald-700 dark:text-emerald-300">
                      Saved.
                    </output>
                  ) : undefined
                }
              />
            ) : (
              <p className="text-xs text-zinc-500">Only instance operators can change these.</p>
            )
          }
        >
          <div className="grid gap-4 sm:grid-cols-2">
            {SANDBOX_FIELDS.map((f) => (
              <FormField
                key={f.name}
                id={`${id}-${f.name}`}
                label={f.label}
                error={errors[f.name]}
                hint={f.hint}
              >
                {(aria) => (
                  <input
                    {...aria}
                    name={f.name}
                    type="number"
                    inputMode="numeric"
                    min={f.min}
                    max={f.max}
                    step={1}
                    disabled={!canEdit}
                    defaultValue={s[f.name]}
                    className={inputClass(errors[f.name])}
                  />
                )}
              </FormField>
            ))}
          </div>
        </FormSection>
      </Card>
    </div>
  );
}

export function SandboxSettingsSkeleton() {
  return (
    <div className="space-y-4" aria-busy="true">
      <div className="mb-6 space-y-2">
        <Skeleton className="h-7 w-40" />
        <Skeleton className="h-4 w-80 max-w-full" />
      </div>
      <Skeleton className="h-36" />
      <Skeleton className="h-72" />
    </div>
  );
}
