import 'server-only';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { env } from '@/env';

const globalForBoss = globalThis as unknown as { batonWebBoss?: Promise<PgBoss> };

/**
 * The console's pg-boss, started on first use (a submit or a retry) and kept
 * for the process. It only sends jobs: no supervision, a small pool.
 */
export function getBoss(): Promise<PgBoss> {
  globalForBoss.batonWebBoss ??= createBoss(env.DATABASE_URL, {
    supervise: false,
    max: 2,
    applicationName: 'baton-web-queue',
  }).catch((err: unknown) => {
    globalForBoss.batonWebBoss = undefined;
    throw err;
  });
  return globalForBoss.batonWebBoss;
}
