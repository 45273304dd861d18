import path from 'node:path';
import { createPgTaskQueue } from '@baton/api/agents';
import { loadConfig, treeLimitsFromConfig } from '@baton/core';
import { dataDir } from '@baton/db';
import * as schema from '@baton/db/schema';
import { drizzle } from 'drizzle-orm/node-postgres';
import { workerEnv } from './env';
import { createLogger } from './logger';
import { startWorker } from './worker';

const logger = createLogger({ level: workerEnv.LOG_LEVEL });

try {
  // Coordinated runs (a root task with options.coordinate) drive the api's PostgreSQL TaskQueue on
  // this worker's own pool and job queue; a new tree's limits are the configuration's.
  const config = loadConfig({
    ...(workerEnv.BATON_CONFIG ? { file: workerEnv.BATON_CONFIG } : {}),
    env: {},
  });
  const limits = treeLimitsFromConfig(config.multi_agent);
  const worker = await startWorker({
    databaseUrl: workerEnv.DATABASE_URL,
    port: workerEnv.WORKER_PORT,
    host: workerEnv.WORKER_HOST,
    workerId: workerEnv.WORKER_ID,
    logger,
    provider: { baseURL: workerEnv.ANTHROPIC_BASE_URL, apiKey: workerEnv.ANTHROPIC_API_KEY },
    concurrency: workerEnv.WORKER_CONCURRENCY,
    ...(workerEnv.BATON_SECRET ? { secret: workerEnv.BATON_SECRET } : {}),
    ...(workerEnv.BATON_CONFIG ? { configFile: workerEnv.BATON_CONFIG } : {}),
    ...(workerEnv.BATON_MCP_URL ? { mcpUrl: workerEnv.BATON_MCP_URL } : {}),
    taskQueueFor: (scope, { pool, boss }) =>
      createPgTaskQueue({ db: drizzle(pool, { schema }), pool, boss: async () => boss }, scope, {
        limits,
        config,
      }),
    sandbox: {
      mode: workerEnv.BATON_SANDBOX,
      dataDir: dataDir(),
      workspacesDir: path.resolve(
        workerEnv.BATON_WORKSPACES_DIR ?? path.join(dataDir(), 'workspaces'),
      ),
      reposDirs: (workerEnv.BATON_REPOS_DIRS ?? path.join(dataDir(), 'repos'))
        .split(':')
        .filter(Boolean),
    },
    drainMs: workerEnv.WORKER_DRAIN_SECONDS * 1000,
    queue: {
      heartbeatSeconds: workerEnv.WORKER_HEARTBEAT_SECONDS,
      monitorIntervalSeconds: workerEnv.WORKER_MONITOR_SECONDS,
      retryLimit: workerEnv.WORKER_RETRY_LIMIT,
      retryDelaySeconds: workerEnv.WORKER_RETRY_DELAY_SECONDS,
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      worker.stop(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'worker failed to start');
  process.exit(1);
}
