'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { Card, PageHeader } from '../ui/card';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { errorMessage } from '../ui/states';

export function CreateTeamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const create = useMutation(
    trpc.team.create.mutationOptions({
      onSuccess: async (team) => {
        await queryClient.invalidateQueries({ queryKey: trpc.team.pathKey() });
        router.push(`/teams/${team.id}/tasks`);
      },
    }),
  );
  const errors = fieldErrorsOf(create.error);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const slug = String(d.get('slug') ?? '').trim();
    create.mutate({ name: String(d.get('name') ?? ''), slug: slug || undefined });
  }
  return (
    <>
      <PageHeader title="New team" description="You become its owner and can invite others." />
      <Card className="max-w-lg">
        <form onSubmit={onSubmit} noValidate className="space-y-4 p-5">
          {create.error && !errors.name && !errors.slug ? (
            <FormAlert>{errorMessage(create.error)}</FormAlert>
          ) : null}
          <FormField id={`${id}-name`} label="Team name" error={errors.name}>
            {(aria) => <input {...aria} name="name" className={inputClass(errors.name)} />}
          </FormField>
          <FormField
            id={`${id}-slug`}
            label="Slug (optional)"
            error={errors.slug}
            hint="Derived from the name when empty."
          >
            {(aria) => (
              <input {...aria} name="slug" className={`${inputClass(errors.slug)} font-mono`} />
            )}
          </FormField>
          <div className="flex justify-end">
            <Button type="submit" variant="primary" disabled={create.isPending}>
              {create.isPending ? 'Creating…' : 'Create team'}
            </Button>
          </div>
        </form>
      </Card>
    </>
  );
}
