import type { ZodErrorShape } from '@baton/api';
import { TRPCClientError } from '@trpc/client';
import type { ReactNode } from 'react';
import { cn } from './cn';

/** Field errors from a tRPC validation (zodError) or domain error (appError.meta.field). */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof TRPCClientError)) return {};
  const data = error.data as
    | { zodError?: ZodErrorShape | null; appError?: { meta?: { field?: string } | null } | null }
    | undefined;
  const out: Record<string, string> = {};
  for (const [key, messages] of Object.entries(data?.zodError?.fieldErrors ?? {})) {
    const top = key.split('.')[0] ?? key;
    if (messages?.[0] && !out[top]) out[top] = messages[0];
  }
  const field = data?.appError?.meta?.field;
  if (field && !out[field]) out[field] = error.message;
  return out;
}

export const inputClass = (error?: string) =>
  cn(
    'block w-full rounded-md border bg-white px-3 py-2 text-sm text-zinc-900 shadow-xs outline-none placeholder:text-zinc-400 focus:ring-2 disabled:opacity-60 dark:bg-zinc-900 dark:text-zinc-100',
    error
      ? 'border-bad focus:ring-bad/30'
      : 'border-zinc-300 focus:border-brand-500 focus:ring-brand-500/25 dark:border-zinc-700',
  );

/** A label, a control (render prop receives aria props) and its error or hint beside it. */
export function FormField({
  id,
  label,
  error,
  hint,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  className?: string;
  children: (aria: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}) {
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <div className="mt-1.5">
        {children({
          id,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': describedBy,
        })}
      </div>
      {error ? (
        <p id={`${id}-error`} className="mt-1.5 text-xs text-bad">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className="mt-1.5 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function Button({
  variant = 'secondary',
  className,
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger';
}) {
  const variants = {
    primary:
      'bg-zinc-900 text-white hover:bg-zinc-800 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200',
    secondary:
      'border border-zinc-200 bg-white text-zinc-700 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800',
    danger:
      'border border-red-200 bg-white text-red-700 hover:bg-red-50 dark:border-red-900 dark:bg-zinc-900 dark:text-red-300 dark:hover:bg-red-950/40',
  } as const;
  return (
    <button
      type="button"
      {...props}
      className={cn(
        'inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium shadow-xs focus-visible:ring-2 focus-visible:ring-brand-500/40 focus-visible:outline-none disabled:cursor-not-allowed disabled:opacity-60',
        variants[variant],
        className,
      )}
    />
  );
}

export function FormAlert({ children }: { children: ReactNode }) {
  return (
    <div
      role="alert"
      className="rounded-md border border-red-200 bg-red-50 px-3 py-2.5 text-sm text-red-700 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300"
    >
      {children}
    </div>
  );
}
