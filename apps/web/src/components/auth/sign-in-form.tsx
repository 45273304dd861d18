'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { safeNext } from '../../lib/safe-next';
import { cn } from '../ui/cn';
import { AlertIcon } from '../ui/icons';
import { authClient } from './auth-client';

type FieldErrors = { email?: string; password?: string };

function validate(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!email) errors.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = 'Enter a valid email address.';
  if (!password) errors.password = 'Enter your password.';
  return errors;
}

function Field({
  id,
  label,
  error,
  ...input
}: {
  id: string;
  label: string;
  error?: string;
} & React.InputHTMLAttributes<HTMLInputElement>) {
  const errorId = `${id}-error`;
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        className={cn(
          'mt-1.5 block w-full rounded-md border bg-white px-3 py-2 text-sm text-zinc-900 shadow-xs outline-none placeholder:text-zinc-400 focus:ring-2 dark:bg-zinc-900 dark:text-zinc-100',
          error
            ? 'border-bad focus:ring-bad/30'
            : 'border-zinc-300 focus:border-brand-500 focus:ring-brand-500/25 dark:border-zinc-700',
        )}
        {...input}
      />
      {error ? (
        <p id={errorId} className="mt-1.5 text-xs text-bad">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function SignInForm({ next }: { next?: string }) {
  const router = useRouter();
  const id = useId();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const errors = validate(email, password);
    setFieldErrors(errors);
    setFormError(null);
    if (errors.email || errors.password) {
      const first = errors.email ? 'email' : 'password';
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    setPending(true);
    try {
      const { error } = await authClient.signIn.email({ email, password });
      if (error) {
        setFormError(
          error.status === 401
            ? 'The email or password is incorrect.'
            : error.status === 429
              ? 'Too many attempts. Wait a moment and try again.'
              : (error.message ?? 'Could not sign in.'),
        );
        setPending(false);
        return;
      }
      // Only a same-origin path may be returned to after sign-in.
      router.replace(safeNext(next, window.location.origin));
      router.refresh();
    } catch {
      setFormError('Cannot reach the server. Check that Baton is running.');
      setPending(false);
    }
  }

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      className="space-y-4"
      aria-describedby={formError ? `${id}-form-error` : undefined}
    >
      {formError ? (
        <div
          id={`${id}-form-error`}
          role="alert"
          className="flex items-start gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2.5 text-sm text-red-700 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300"
        >
          <AlertIcon className="mt-0.5 shrink-0" />
          <span>{formError}</span>
        </div>
      ) : null}
      <Field
        id={`${id}-email`}
        name="email"
        type="email"
        label="Email"
        autoComplete="username"
        placeholder="you@example.com"
        required
        error={fieldErrors.email}
      />
      <Field
        id={`${id}-password`}
        name="password"
        type="password"
        label="Password"
        autoComplete="current-password"
        required
        error={fieldErrors.password}
      />
      <button
        type="submit"
        disabled={pending}
        className="inline-flex w-full items-center justify-center rounded-md bg-zinc-900 px-3 py-2 text-sm font-medium text-white shadow-xs hover:bg-zinc-800 disabled:cursor-wait disabled:opacity-70 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
      >
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
