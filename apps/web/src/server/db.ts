import 'server-only';
import { createDb, type DbClient } from '@baton/db/client';
import { env } from '@/env';

const globalForDb = globalThis as unknown as { batonWebDb?: DbClient };

/** The process-wide pool, created on first use (survives dev hot reloads). */
export function getDb(): DbClient {
  globalForDb.batonWebDb ??= createDb(env.DATABASE_URL, {
    max: 10,
    applicationName: 'baton-web',
    onError: (err) => console.error('[baton-web] idle database client error:', err.message),
  });
  return globalForDb.batonWebDb;
}
