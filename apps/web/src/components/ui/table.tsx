import type { ReactNode } from 'react';
import { cn } from './cn';
import { EmptyState } from './states';

/** A scrollable table: a header row (first column left, the others right-aligned) and body rows. */
export function Table({ head, children }: { head: readonly string[]; children: ReactNode }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-100 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
          <tr>
            {head.map((h, i) => (
              <th
                key={h}
                scope="col"
                className={cn('px-5 py-2.5 font-medium', i > 0 && 'text-right')}
              >
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">{children}</tbody>
      </table>
    </div>
  );
}

/** A body cell of a Table; `className` adds alignment and type (e.g. "text-right tabular"). */
export function Td({ className, children }: { className?: string; children?: ReactNode }) {
  return <td className={cn('px-5 py-2.5', className)}>{children}</td>;
}

/** A Table of `rows`, or an empty state when there are none. */
export function DataTable<T>({
  head,
  rows,
  empty,
  children,
}: {
  head: readonly string[];
  rows: readonly T[];
  empty: { title: string; description?: ReactNode };
  children: (row: T) => ReactNode;
}) {
  if (rows.length === 0) return <EmptyState title={empty.title} description={empty.description} />;
  return <Table head={head}>{rows.map(children)}</Table>;
}
