'use client';

import type { AppRouter } from '@baton/api';
import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  loggerLink,
  splitLink,
} from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { type ReactNode, useState } from 'react';
import superjson from 'superjson';
import { makeQueryClient } from './query-client';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;

function getQueryClient(): QueryClient {
  // The server renders each request with a fresh client; the browser keeps one.
  if (typeof window === 'undefined') return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        loggerLink({
          enabled: (op) =>
            process.env.NODE_ENV === 'development' ||
            (op.direction === 'down' && op.result instanceof Error),
        }),
        splitLink({
          // Subscriptions (live transcripts) stream over Server-Sent Events.
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ transformer: superjson, url: '/api/trpc' }),
          false: httpBatchLink({
            transformer: superjson,
            url: '/api/trpc',
            // Below the server's maxBatchSize (20, app/api/trpc/[trpc]/route.ts): a page that
            // asks for more gets several requests rather than a refused one.
            maxItems: 10,
            headers: () => ({ 'x-trpc-source': 'nextjs-react' }),
          }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
