import { cn } from './cn';

export function Skeleton({ className }: { className?: string }) {
  return (
    <div
      aria-hidden="true"
      className={cn('animate-pulse rounded-md bg-zinc-200/70 dark:bg-zinc-800/70', className)}
    />
  );
}

/** A screen-reader announcement for a region that is loading. */
export function LoadingLabel({ label }: { label: string }) {
  return (
    <span role="status" className="sr-only">
      {label}
    </span>
  );
}

export function TableSkeleton({ rows = 6, columns = 5 }: { rows?: number; columns?: number }) {
  return (
    <div className="divide-y divide-zinc-100 dark:divide-zinc-800">
      <LoadingLabel label="Loading…" />
      {Array.from({ length: rows }, (_, r) => (
        <div key={r} className="flex items-center gap-4 px-5 py-3.5">
          {Array.from({ length: columns }, (_, c) => (
            <Skeleton
              key={c}
              className={cn('h-3.5', c === 0 ? 'w-2/5' : 'hidden w-1/6 sm:block')}
            />
          ))}
        </div>
      ))}
    </div>
  );
}
