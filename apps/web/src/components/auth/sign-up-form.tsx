'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { safeNext } from '../../lib/safe-next';
import { FormAlert, FormField, inputClass } from '../ui/form';
import { authClient } from './auth-client';

type Errors = { name?: string; email?: string; password?: string };

/** After sign-up: back to where the visitor came from (e.g. an invitation link), else create a team. */
function afterSignUp(next: string | undefined): string {
  return safeNext(next, window.location.origin, '/teams/new');
}

/** The token of an invitation link `/invite/<token>`, when `next` is one. */
export function invitationTokenOf(next: string | undefined): string | undefined {
  return next?.match(/^\/invite\/([A-Za-z0-9_-]{20,100})$/)?.[1];
}

export function SignUpForm({ next: nextPath }: { next?: string }) {
  const router = useRouter();
  const id = useId();
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const name = String(d.get('name') ?? '').trim();
    const email = String(d.get('email') ?? '').trim();
    const password = String(d.get('password') ?? '');
    const next: Errors = {};
    if (!name) next.name = 'Enter your name.';
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) next.email = 'Enter a valid email address.';
    if (password.length < 8) next.password = 'Use at least 8 characters.';
    setErrors(next);
    setFormError(null);
    const first = Object.keys(next)[0];
    if (first) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    setPending(true);
    try {
      const token = invitationTokenOf(nextPath);
      const { error } = await authClient.signUp.email(
        { name, email, password },
        // An invitation link opens sign-up on a server where it is otherwise closed.
        token ? { headers: { 'x-baton-invitation': token } } : undefined,
      );
      if (error) {
        if (error.code === 'USER_ALREADY_EXISTS' || error.status === 422) {
          setErrors({ email: 'An account with this email already exists.' });
        } else if (error.code === 'PASSWORD_TOO_SHORT' || error.code === 'PASSWORD_TOO_LONG') {
          setErrors({ password: error.message ?? 'Choose another password.' });
        } else {
          setFormError(error.message ?? 'Could not create the account.');
        }
        setPending(false);
        return;
      }
      router.replace(afterSignUp(nextPath));
      router.refresh();
    } catch {
      setFormError('Cannot reach the server. Check that Baton is running.');
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError ? <FormAlert>{formError}</FormAlert> : null}
      <FormField id={`${id}-name`} label="Name" error={errors.name}>
        {(aria) => (
          <input {...aria} name="name" autoComplete="name" className={inputClass(errors.name)} />
        )}
      </FormField>
      <FormField id={`${id}-email`} label="Email" error={errors.email}>
        {(aria) => (
          <input
            {...aria}
            name="email"
            type="email"
            autoComplete="username"
            placeholder="you@example.com"
            className={inputClass(errors.email)}
          />
        )}
      </FormField>
      <FormField
        id={`${id}-password`}
        label="Password"
        error={errors.password}
        hint="At least 8 characters."
      >
        {(aria) => (
          <input
            {...aria}
            name="password"
            type="password"
            autoComplete="new-password"
            className={inputClass(errors.password)}
          />
        )}
      </FormField>
      <button
        type="submit"
        disabled={pending}
        className="inline-flex w-full items-center justify-center rounded-md bg-zinc-900 px-3 py-2 text-sm font-medium text-white shadow-xs hover:bg-zinc-800 disabled:cursor-wait disabled:opacity-70 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
      >
        {pending ? 'Creating account…' : 'Create account'}
      </button>
    </form>
  );
}
