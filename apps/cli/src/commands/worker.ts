import { redactUrl, resolveDatabase } from '@baton/db';
import { Command } from 'commander';
import { cliEnv } from '../env';

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
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error(`--port must be an integer from 0 to 65535, got "${opts.port}"`);
        }
        const { createLogger, startWorker } = await import('@baton/worker');
        const logger = createLogger({ level: opts.logLevel });
        const db = await resolveDatabase({
          log: (line) => logger.debug({ component: 'postgres' }, line),
        });
        logger.info({ database: redactUrl(db.url), source: db.source }, 'database');
        const worker = await startWorker({
          databaseUrl: db.url,
          port,
          host: opts.host,
          workerId: opts.id,
          logger,
          provider: { baseURL: cliEnv.ANTHROPIC_BASE_URL, apiKey: cliEnv.ANTHROPIC_API_KEY },
          concurrency: Number(opts.concurrency),
        });
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          worker
            .stop(signal)
            .then(() => db.stop())
            .then(() => process.exit(0));
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      },
    );
}
