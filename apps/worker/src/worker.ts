import os from 'node:os';
import { createDb, pingDb, runMigrations } from '@baton/db';
import { startHealthServer } from './health';
import type { Logger } from './logger';

export interface WorkerOptions {
  databaseUrl: string;
  port: number;
  host: string;
  workerId?: string;
  logger: Logger;
  /** Apply pending migrations before taking work (default true). */
  migrate?: boolean;
}

export interface RunningWorker {
  id: string;
  healthUrl: string;
  /** Stops taking work, drains, closes the database pool and the health server. */
  stop(reason?: string): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const id = options.workerId ?? `${os.hostname()}-${process.pid}`;
  const log = options.logger.child({ workerId: id });
  if (options.migrate !== false) {
    const { applied } = await runMigrations(options.databaseUrl);
    if (applied.length) log.info({ applied }, 'applied migrations');
  }
  const client = createDb(options.databaseUrl, {
    max: 10,
    applicationName: `baton-worker:${id}`,
    onError: (err) => log.warn({ err: err.message }, 'idle database connection failed'),
  });
  const startedAt = new Date();
  const dbCheck = async () => {
    const latencyMs = await pingDb(client.pool);
    return { ok: true, latencyMs: Math.round(latencyMs * 100) / 100 };
  };
  const health = await startHealthServer({
    port: options.port,
    host: options.host,
    liveness: { database: dbCheck },
    readiness: { database: dbCheck },
    info: () => ({
      workerId: id,
      startedAt: startedAt.toISOString(),
      uptimeS: Math.round(process.uptime()),
    }),
  });
  log.info({ url: health.url }, 'worker ready');

  let stopping: Promise<void> | undefined;
  return {
    id,
    healthUrl: health.url,
    stop: (reason = 'stop requested') => {
      stopping ??= (async () => {
        log.info({ reason }, 'worker stopping');
        await health.close();
        await client.close();
        log.info('worker stopped');
      })();
      return stopping;
    },
  };
}
