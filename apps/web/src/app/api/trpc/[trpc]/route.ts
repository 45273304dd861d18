import { appRouter } from '@baton/api';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createContext } from '@/server/trpc-context';

export const dynamic = 'force-dynamic';

/** Calls in one batched request at most; the browser's link batches fewer (src/trpc/react.tsx). */
const MAX_BATCH_SIZE = 20;

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    router: appRouter,
    req,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createContext(req.headers),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        console.error(`[baton-web] tRPC ${path ?? '<no path>'} failed:`, error.cause ?? error);
      }
    },
  });
}

export { handler as GET, handler as POST };
