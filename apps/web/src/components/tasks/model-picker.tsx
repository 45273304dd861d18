'use client';

import type { RouterOutputs } from '@baton/api';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { cn } from '../ui/cn';
import { FormField, inputClass } from '../ui/form';
import { errorMessage } from '../ui/states';

type ModelList = RouterOutputs['model']['list'];
type Offered = ModelList['models'][number];

const linkClass = 'font-medium text-brand-700 hover:underline dark:text-brand-100';

function priceText(m: Offered): string {
  if (!m.price) return 'no price set';
  return `$${m.price.input} in / $${m.price.output} out per MTok`;
}

function optionLabel(m: Offered): string {
  const deprecated = m.status === 'deprecated' ? ` — deprecated, retires ${m.retiresOn}` : '';
  return `${m.displayName} · ${priceText(m)}${deprecated}`;
}

/** The warning for a chosen or typed model that is deprecated or retired; null when it is current. */
export function modelWarning(list: ModelList | undefined, model: string): string | null {
  if (!list || !model) return null;
  const offered = list.models.find((m) => m.ids.includes(model));
  if (offered?.status === 'deprecated')
    return `${model} is deprecated: it retires on ${offered.retiresOn}. Use ${offered.replacement} instead.`;
  const retired = list.retired.find((r) => r.ids.includes(model));
  if (retired)
    return `${model} was retired on ${retired.retiresOn}: requests to it fail. Use ${retired.replacement} instead.`;
  return null;
}

/**
 * The model field of the task form: a text field (any id may be typed by hand) offering the
 * provider's current models with their prices (`model.list`, a datalist), starting on Baton's
 * default model. A deprecated or retired model gets a warning beside the field; while the list
 * loads, or when it cannot be read, the field still takes a typed id.
 */
export function ModelPicker({ id, error }: { id: string; error?: string }) {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.model.list.queryOptions(), staleTime: 5 * 60_000, retry: 1 });
  const defaults = useQuery(trpc.model.defaults.queryOptions());
  const [typed, setTyped] = useState<string | null>(null);

  const fieldId = `${id}-model`;
  const value = typed ?? defaults.data?.model ?? '';
  const model = value.trim();
  const chosen = list.data?.models.find((m) => m.ids.includes(model));
  const warning = modelWarning(list.data, model);
  const hint = warning ? (
    <span role="alert" data-testid="model-warning" className="text-amber-700 dark:text-amber-300">
      {warning}
    </span>
  ) : list.isPending ? (
    "Loading the provider's models…"
  ) : list.isError ? (
    <span role="alert">
      Could not load the provider&apos;s models ({errorMessage(list.error)}); type a model id.{' '}
      <button type="button" className={linkClass} onClick={() => void list.refetch()}>
        Try again
      </button>
    </span>
  ) : chosen ? (
    `${chosen.displayName}: ${priceText(chosen)}${chosen.price ? ` (cache reads $${chosen.price.cacheRead})` : ''}.`
  ) : model ? (
    "Not in the provider's model list: the provider may refuse it."
  ) : list.data.models.length === 0 ? (
    'The provider lists no current models; type a model id.'
  ) : (
    "Choose one of the provider's models or type an id."
  );

  return (
    <FormField id={fieldId} label="Model" error={error} hint={hint}>
      {(aria) => (
        <>
          <input
            {...aria}
            name="model"
            list={`${fieldId}-options`}
            value={value}
            onChange={(e) => setTyped(e.target.value)}
            placeholder={defaults.isPending ? 'Loading…' : undefined}
            autoComplete="off"
            spellCheck={false}
            className={cn(inputClass(error), 'font-mono')}
          />
          <datalist id={`${fieldId}-options`} data-testid="model-options">
            {list.data?.models.map((m) => (
              <option key={m.id} value={m.id} label={optionLabel(m)} />
            ))}
          </datalist>
        </>
      )}
    </FormField>
  );
}
