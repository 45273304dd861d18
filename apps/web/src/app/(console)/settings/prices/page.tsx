import type { Metadata } from 'next';
import { PriceTable } from '@/components/prices/price-table';
import { HydrateClient, prefetch, trpc } from '@/trpc/server';

export const metadata: Metadata = { title: 'Prices' };

export default async function PricesPage() {
  await prefetch(trpc.price.list.queryOptions(), trpc.system.me.queryOptions());
  return (
    <HydrateClient>
      <PriceTable />
    </HydrateClient>
  );
}
