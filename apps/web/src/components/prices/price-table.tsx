'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardHeader, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { formatMultiplier, formatUsd } from '../ui/format';
import { Skeleton, TableSkeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { AddPriceForm } from './add-price-form';

const PRICE_COLUMNS = [
  { key: 'inputPerMtok', label: 'Input' },
  { key: 'cacheWrite5mPerMtok', label: 'Cache write 5m' },
  { key: 'cacheWrite1hPerMtok', label: 'Cache write 1h' },
  { key: 'cacheReadPerMtok', label: 'Cache read' },
  { key: 'outputPerMtok', label: 'Output' },
] as const;

function dateOnly(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function PriceTable() {
  const trpc = useTRPC();
  const prices = useQuery(trpc.price.list.queryOptions());
  const me = useQuery(trpc.system.me.queryOptions());
  return (
    <>
      <PageHeader
        title="Prices"
        description="USD per million tokens. Cost of every request is computed from this table, so history stays priceable when prices change."
      />
      <Card>
        <CardHeader
          title="Price table"
          description="The most specific matching pattern wins; a row applies from its valid-from date."
          action={
            prices.data ? (
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                {prices.data.length} {prices.data.length === 1 ? 'row' : 'rows'}
              </span>
            ) : prices.isPending ? (
              <Skeleton className="h-4 w-12" />
            ) : null
          }
        />
        {prices.isPending ? (
          <TableSkeleton rows={8} columns={6} />
        ) : prices.isError ? (
          <ErrorState
            error={prices.error}
            onRetry={() => prices.refetch()}
            retrying={prices.isFetching}
          />
        ) : prices.data.length === 0 ? (
          <EmptyState
            title="No prices"
            description="Without prices, usage is recorded but costs show as zero. Apply the migrations to seed the defaults."
          />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[760px] text-left text-sm">
              <caption className="sr-only">Model prices in US dollars per million tokens</caption>
              <thead className="border-b border-zinc-100 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
                <tr>
                  <th scope="col" className="px-5 py-2.5 font-medium">
                    Model pattern
                  </th>
                  <th scope="col" className="px-3 py-2.5 font-medium">
                    Valid from
                  </th>
                  {PRICE_COLUMNS.map((c) => (
                    <th
                      key={c.key}
                      scope="col"
                      className="px-3 py-2.5 text-right font-medium whitespace-nowrap"
                    >
                      {c.label}
                    </th>
                  ))}
                  <th scope="col" className="px-5 py-2.5 text-right font-medium">
                    Batch
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {prices.data.map((p) => (
                  <tr key={p.id} className={cn(!p.current && 'text-zinc-400 dark:text-zinc-500')}>
                    <th scope="row" className="px-5 py-3 text-left font-normal">
                      <div className="flex items-center gap-2">
                        <code className="font-mono text-xs text-zinc-900 dark:text-zinc-100">
                          {p.modelPattern}
                        </code>
                        {p.current ? null : (
                          <Badge tone={p.validFrom.getTime() > Date.now() ? 'warn' : 'neutral'}>
                            {p.validFrom.getTime() > Date.now() ? 'scheduled' : 'superseded'}
                          </Badge>
                        )}
                      </div>
                      {p.note ? (
                        <p
                          className="mt-0.5 max-w-xs truncate text-xs text-zinc-500 dark:text-zinc-400"
                          title={p.note}
                        >
                          {p.note}
                        </p>
                      ) : null}
                    </th>
                    <td className="px-3 py-3 text-xs whitespace-nowrap text-zinc-500 tabular dark:text-zinc-400">
                      {dateOnly(p.validFrom)}
                    </td>
                    {PRICE_COLUMNS.map((c) => (
                      <td key={c.key} className="px-3 py-3 text-right tabular">
                        {formatUsd(p[c.key])}
                      </td>
                    ))}
                    <td className="px-5 py-3 text-right text-zinc-500 tabular dark:text-zinc-400">
                      {formatMultiplier(p.batchMultiplier)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {me.data?.isOperator ? (
        <Card className="mt-4">
          <CardHeader
            title="Add a price"
            description="You operate this instance: rows you add apply to every team. A later valid-from takes over at that time; history keeps its old prices."
          />
          <AddPriceForm />
        </Card>
      ) : me.data ? (
        <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400">
          The price table is shared by every team; only an operator of this instance can change it.
        </p>
      ) : null}
    </>
  );
}

export function PriceTableSkeleton() {
  return (
    <div>
      <div className="mb-6 space-y-2">
        <Skeleton className="h-7 w-32" />
        <Skeleton className="h-4 w-96 max-w-full" />
      </div>
      <Card>
        <TableSkeleton rows={10} columns={6} />
      </Card>
    </div>
  );
}
