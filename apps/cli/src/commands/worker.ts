import path from 'node:path';
import { dataDir, redactUrl, resolveDatabase } from '@baton/db';
import { WORKER_NODE_FLAGS } from '@baton/worker/node-flags';
import { Command } from 'commander';
import { cliEnv } from '../env';
import { repoRoot, workerMain } from '../paths';
import { resolveSecret } from '../secret';
import { spawnManaged } from '../supervisor';

/**
 * One more worker: the same worker process `baton start` runs (apps/worker's main, which reads
 * its own environment), given the database, BATON_SECRET (to decrypt team keys) and the data
 * directory (workspaces, the sandbox) the way `baton start` gives them.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('Run one worker: takes tasks from the queue and serves /healthz on its port.')
    .option('--port <port>', 'health/metrics port', '4020')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--id <id>', 'worker id (default: hostname-pid)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace', 'info')
    .option('--concurrency <n>', 'tasks run at once', '8')
    .action(
      async (opts: {
        port: string;
        host: string;
        id?: string;
        logLevel: string;
        concurrency: string;
      }) => {
        if (!/^\d+$/.test(opts.concurrency) || Number(opts.concurrency) < 1) {
          throw new Error(`--concurrency must be a positive integer, got "${opts.concurrency}"`);
        }
        const port = Number(opts.port);
        if (!/^\d+$/.test(opts.port) || port > 65535) {
          throw new Error(`--port must be an integer from 0 to 65535, got "${opts.port}"`);
        }
        const dir = dataDir();
        const db = await resolveDatabase({ log: () => undefined });
        const say = (line: string) => process.stdout.write(`${line}\n`);
        say(`database: ${redactUrl(db.url)} (${db.source})`);
        let secret: string;
        try {
          secret = resolveSecret(dir, cliEnv.BATON_SECRET).secret;
        } catch (err) {
          await db.stop();
          throw err;
        }
        const worker = spawnManaged({
          name: 'worker',
          command: process.execPath,
          args: [...WORKER_NODE_FLAGS, '--import', 'tsx', workerMain],
          cwd: path.join(repoRoot, 'apps/worker'),
          env: {
            ...process.env,
            DATABASE_URL: db.url,
            BATON_SECRET: secret,
            BATON_DATA_DIR: dir,
            WORKER_PORT: String(port),
            WORKER_HOST: opts.host,
            ...(opts.id ? { WORKER_ID: opts.id } : {}),
            LOG_LEVEL: opts.logLevel,
            WORKER_CONCURRENCY: opts.concurrency,
          },
          useColor: process.stdout.isTTY === true,
        });
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          void worker.stop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const code = await worker.exited;
        await db.stop();
        process.exit(stopping ? 0 : (code ?? 1));
      },
    );
}
