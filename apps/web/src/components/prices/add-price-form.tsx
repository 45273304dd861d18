'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '@/trpc/react';
import { localDateTime, numberField } from '../settings/fields';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { errorMessage } from '../ui/states';

/** Appends a row to the shared price table (operators only; the server refuses anyone else). */
export function AddPriceForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const add = useMutation(
    trpc.price.add.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.price.pathKey() }),
    }),
  );
  const errors = fieldErrorsOf(add.error);
  const fields = [
    ['inputPerMtok', 'Input'],
    ['cacheWrite5mPerMtok', 'Cache write 5m'],
    ['cacheWrite1hPerMtok', 'Cache write 1h'],
    ['cacheReadPerMtok', 'Cache read'],
    ['outputPerMtok', 'Output'],
  ] as const;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    add.mutate(
      {
        modelPattern: String(d.get('modelPattern') ?? ''),
        validFrom: localDateTime(d.get('validFrom')) as Date,
        inputPerMtok: numberField(d.get('inputPerMtok')) as number,
        cacheWrite5mPerMtok: numberField(d.get('cacheWrite5mPerMtok')) as number,
        cacheWrite1hPerMtok: numberField(d.get('cacheWrite1hPerMtok')) as number,
        cacheReadPerMtok: numberField(d.get('cacheReadPerMtok')) as number,
        outputPerMtok: numberField(d.get('outputPerMtok')) as number,
      },
      { onSuccess: () => form.reset() },
    );
  }
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4 p-5">
      {add.error && Object.keys(errors).length === 0 ? (
        <FormAlert>{errorMessage(add.error)}</FormAlert>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={`${id}-modelPattern`} label="Model or pattern" error={errors.modelPattern}>
          {(aria) => (
            <input
              {...aria}
              name="modelPattern"
              placeholder="claude-sonnet-4-5*"
              className={`${inputClass(errors.modelPattern)} font-mono`}
            />
          )}
        </FormField>
        <FormField id={`${id}-validFrom`} label="Valid from" error={errors.validFrom}>
          {(aria) => (
            <input
              {...aria}
              name="validFrom"
              type="datetime-local"
              className={inputClass(errors.validFrom)}
            />
          )}
        </FormField>
      </div>
      <div className="grid grid-cols-2 gap-4 sm:grid-cols-5">
        {fields.map(([name, label]) => (
          <FormField key={name} id={`${id}-${name}`} label={`${label} $/MTok`} error={errors[name]}>
            {(aria) => (
              <input
                {...aria}
                name={name}
                type="number"
                step="any"
                min={0}
                className={inputClass(errors[name])}
              />
            )}
          </FormField>
        ))}
      </div>
      <div className="flex items-center justify-end gap-3">
        {add.isSuccess ? (
          <output className="text-sm text-emerald-700 dark:text-emerald-300">
            Added to the price table.
          </output>
        ) : null}
        <Button type="submit" variant="primary" disabled={add.isPending}>
          {add.isPending ? 'Adding…' : 'Add price'}
        </Button>
      </div>
    </form>
  );
}
