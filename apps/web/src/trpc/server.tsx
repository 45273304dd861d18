import 'server-only';
import { appRouter } from '@baton/api';
import { dehydrate, type FetchQueryOptions, HydrationBoundary } from '@tanstack/react-query';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { cache } from 'react';
import { createContext } from '@/server/trpc-context';
import { makeQueryClient } from './query-client';

const createRscContext = cache(async () => {
  const h = new Headers(await headers());
  h.set('x-trpc-source', 'rsc');
  return createContext(h);
});

/** One query client per request. */
export const getQueryClient = cache(makeQueryClient);

/** Query options for server components: `await getQueryClient().prefetchQuery(trpc.x.queryOptions())`. */
export const trpc = createTRPCOptionsProxy({
  router: appRouter,
  ctx: createRscContext,
  queryClient: getQueryClient,
});

/** Hands the queries prefetched on the server to the client components below. */
export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

/** Prefetches several queries in parallel; failures are left for the client to show. */
export async function prefetch(...options: { queryKey: readonly unknown[] }[]): Promise<void> {
  const client = getQueryClient();
  await Promise.all(options.map((o) => client.prefetchQuery(o as FetchQueryOptions)));
}
