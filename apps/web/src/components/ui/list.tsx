import type { ReactNode } from 'react';
import { cn } from './cn';
import { FormAlert } from './form';
import { Skeleton } from './skeleton';
import { EmptyState, ErrorState, errorMessage } from './states';

/** A divided list of rows inside a card. */
export function RowList({ label, children }: { label?: string; children: ReactNode }) {
  return (
    <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" aria-label={label}>
      {children}
    </ul>
  );
}

/** One row of a RowList: its text on the left, its actions (if any) on the right. */
export function ListRow({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 px-5 py-3 text-sm">
      <div className="min-w-0">{children}</div>
      {actions}
    </li>
  );
}

/** `items` as a RowList, or an empty state when there are none (and `empty` is given). */
export function ItemList<T>({
  items,
  empty,
  label,
  children,
}: {
  items: readonly T[];
  empty?: { title: string; description?: ReactNode };
  label?: string;
  children: (item: T) => ReactNode;
}) {
  if (empty && items.length === 0) {
    return <EmptyState title={empty.title} description={empty.description} />;
  }
  return <RowList label={label}>{items.map(children)}</RowList>;
}

/** The part of a query result a QueryList reads. */
export type ListQuery<T> = {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: readonly T[] | undefined;
  refetch: () => unknown;
};

/**
 * A query's items as a RowList, with its loading skeleton, error (with retry) and
 * empty state; `alert` is an error shown above the rows, `footer` follows them.
 */
export function QueryList<T>({
  query,
  skeletonClassName = 'h-10',
  empty,
  label,
  alert,
  footer,
  children,
}: {
  query: ListQuery<T>;
  skeletonClassName?: string;
  empty?: { title: string; description?: ReactNode };
  label?: string;
  alert?: unknown;
  footer?: ReactNode;
  children: (item: T) => ReactNode;
}) {
  if (query.isPending) return <Skeleton className={cn('m-5', skeletonClassName)} />;
  if (query.isError || !query.data) {
    return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (empty && query.data.length === 0) {
    return <EmptyState title={empty.title} description={empty.description} />;
  }
  return (
    <>
      {alert ? (
        <div className="px-5 pt-4">
          <FormAlert>{errorMessage(alert)}</FormAlert>
        </div>
      ) : null}
      <ItemList items={query.data} label={label}>
        {children}
      </ItemList>
      {footer}
    </>
  );
}
