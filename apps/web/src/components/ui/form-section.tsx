import type { FormEvent, ReactNode } from 'react';
import { cn } from './cn';
import { Button } from './form';

/** The submit button of a form, right-aligned, with a status (e.g. "Saved.") beside it. */
export function SubmitRow({
  label,
  pendingLabel,
  pending,
  status,
}: {
  label: string;
  pendingLabel: string;
  pending: boolean;
  status?: ReactNode;
}) {
  return (
    <div
      className={status === undefined ? 'flex justify-end' : 'flex items-center justify-end gap-3'}
    >
      {status}
      <Button type="submit" variant="primary" disabled={pending}>
        {pending ? pendingLabel : label}
      </Button>
    </div>
  );
}

/**
 * A form section of a card: alerts, its fields and a footer (usually a SubmitRow).
 * `className` adds to the form's vertical spacing (padding, border).
 */
export function FormSection({
  onSubmit,
  className,
  alerts,
  footer,
  children,
}: {
  onSubmit: (e: FormEvent<HTMLFormElement>) => void;
  className?: string;
  alerts?: ReactNode;
  footer: ReactNode;
  children: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit} noValidate className={cn('space-y-4', className)}>
      {alerts}
      {children}
      {footer}
    </form>
  );
}
