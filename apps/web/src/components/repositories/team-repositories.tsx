'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { ListRow, QueryList } from '../ui/list';
import { RelativeTime } from '../ui/relative-time';
import { errorMessage } from '../ui/states';

const FIELDS = ['name', 'source', 'defaultRef'] as const;

/**
 * Settings → Repositories: the git repositories the team's claude-code tasks may ask for as
 * their workspace (`repository.list`); admins add (`repository.add`: the source and the
 * default ref are checked on the server, each refusal shown on its field) and remove them.
 */
export function TeamRepositories({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const list = useQuery(trpc.repository.list.queryOptions({ teamId }));
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.repository.list.queryKey({ teamId }) });
  const add = useMutation(trpc.repository.add.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.repository.remove.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrorsOf(add.error);
  const otherError = add.error && !FIELDS.some((f) => errors[f]);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    add.mutate(
      {
        teamId,
        name: String(d.get('name') ?? ''),
        source: String(d.get('source') ?? ''),
        defaultRef: String(d.get('defaultRef') ?? '').trim() || undefined,
      },
      {
        onSuccess: () => form.reset(),
        onError: (err) => {
          const first = FIELDS.find((f) => fieldErrorsOf(err)[f]);
          if (first) document.getElementById(`${id}-${first}`)?.focus();
        },
      },
    );
  }

  return (
    <>
      <QueryList
        query={list}
        label="Repositories"
        empty={{
          title: 'No repositories',
          description: canEdit
            ? 'Add one below; without one, each claude-code task starts in an empty workspace.'
            : 'An admin can add one; until then each claude-code task starts in an empty workspace.',
        }}
        alert={remove.error}
      >
        {(r) => (
          <ListRow
            key={r.id}
            actions={
              canEdit ? (
                <Button
                  variant="danger"
                  onClick={() => remove.mutate({ teamId, repositoryId: r.id })}
                  disabled={remove.isPending && remove.variables?.repositoryId === r.id}
                >
                  {remove.isPending && remove.variables?.repositoryId === r.id
                    ? 'Removing…'
                    : 'Remove'}
                  <span className="sr-only"> {r.name}</span>
                </Button>
              ) : null
            }
          >
            <p className="flex flex-wrap items-center gap-2 font-medium">
              <span className="font-mono">{r.name}</span>
              <Badge>{r.defaultRef}</Badge>
            </p>
            <p className="font-mono text-xs break-all text-zinc-500 dark:text-zinc-400">
              {r.source} · added <RelativeTime date={r.createdAt} />
            </p>
          </ListRow>
        )}
      </QueryList>
      {canEdit ? (
        <FormSection
          onSubmit={onSubmit}
          className="border-t border-zinc-100 p-5 dark:border-zinc-800"
          alerts={otherError ? <FormAlert>{errorMessage(add.error)}</FormAlert> : null}
          footer={
            <SubmitRow
              label="Add repository"
              pendingLabel="Checking…"
              pending={add.isPending}
              status={
                add.isSuccess ? (
                  <output className="text-sm text-emerald-700 dark:text-emerald-300">
                    Added {add.data.name}
                    {add.data.commit ? (
                      <>
                        {' '}
                        at <span className="font-mono">{add.data.commit.slice(0, 12)}</span>
                      </>
                    ) : null}
                    .
                  </output>
                ) : undefined
              }
            />
          }
        >
          <div className="grid gap-4 sm:grid-cols-[12rem_1fr_10rem]">
            <FormField
              id={`${id}-name`}
              label="Name"
              error={errors.name}
              hint="What tasks pick it by."
            >
              {(aria) => (
                <input
                  {...aria}
                  name="name"
                  autoComplete="off"
                  placeholder="app"
                  className={`${inputClass(errors.name)} font-mono`}
                />
              )}
            </FormField>
            <FormField
              id={`${id}-source`}
              label="Git URL or path"
              error={errors.source}
              hint="An https or git URL without credentials, or a folder under BATON_REPOS_DIRS."
            >
              {(aria) => (
                <input
                  {...aria}
                  name="source"
                  autoComplete="off"
                  placeholder="https://github.com/acme/app.git"
                  className={`${inputClass(errors.source)} font-mono`}
                />
              )}
            </FormField>
            <FormField
              id={`${id}-defaultRef`}
              label="Default ref"
              error={errors.defaultRef}
              hint="Empty: HEAD."
            >
              {(aria) => (
                <input
                  {...aria}
                  name="defaultRef"
                  autoComplete="off"
                  placeholder="main"
                  className={`${inputClass(errors.defaultRef)} font-mono`}
                />
              )}
            </FormField>
          </div>
        </FormSection>
      ) : null}
    </>
  );
}
