import { createDb, type DbClient } from '@baton/db';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { inject } from 'vitest';
import { createLogger } from '../src/logger';
import { type RunningWorker, startWorker, type WorkerOptions } from '../src/worker';

export interface WorkerHarnessOptions {
  /** The team the tests submit their tasks for. */
  team: { name: string; slug: string };
  /** The simulator's response seed. */
  seed: number;
  /** The worker's id (default: host and pid). */
  workerId?: string;
  /** The API key the worker sends to the simulator. */
  apiKey: string;
  concurrency: number;
  queue: WorkerOptions['queue'];
  /** How the worker confines claude-code tasks (none: it refuses them). */
  sandbox?: WorkerOptions['sandbox'];
  /** BATON_SECRET of the worker (teams' own keys). */
  secret?: string;
  /** More options of the harness's worker (e.g. `taskQueueFor`). */
  worker?: Partial<WorkerOptions>;
}

export interface WorkerHarness {
  tdb: TestDatabase;
  client: DbClient;
  /** A pg-boss of the test's own, to submit tasks with. */
  boss: PgBoss;
  sim: RunningSimulator;
  /** The worker the harness started; a test that replaces it assigns the new one here. */
  worker: RunningWorker;
  teamId: string;
  /** Starts another worker on the harness's database: silent, on a free port, `options` on top. */
  startWorker(options: Partial<WorkerOptions>): Promise<RunningWorker>;
  /** Stops the worker, pg-boss and the simulator, then drops the database. */
  stop(): Promise<void>;
}

/**
 * A fresh migrated database with a team, a simulator (no delays) and a real
 * worker (core runner) against it. Whatever was started is stopped again if
 * a later step fails.
 */
export async function startWorkerHarness(options: WorkerHarnessOptions): Promise<WorkerHarness> {
  const startAnother = (more: Partial<WorkerOptions>) =>
    startWorker({
      databaseUrl: h.tdb!.url,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: (process.env.BATON_TEST_LOG as 'info') ?? 'silent' }),
      ...more,
    });
  const stop = async () => {
    await h.worker?.stop();
    await h.boss?.stop({ graceful: false });
    await h.sim?.close();
    await h.client?.close();
    await h.tdb?.drop();
  };
  const h: Partial<WorkerHarness> = { startWorker: startAnother, stop };
  try {
    h.tdb = await createTestDatabase(inject('pgAdminUrl'));
    h.client = createDb(h.tdb.url);
    h.sim = await startSimulator({
      port: 0,
      response: { ttftMs: 0, tokensPerSecond: 0, seed: options.seed },
    });
    // The instance's key (the simulator's): an operator's choice per team, off by default.
    const [team] = await h.client.db
      .insert(teams)
      .values({ allowInstanceKey: true, ...options.team })
      .returning();
    h.teamId = team!.id;
    h.worker = await startAnother({
      workerId: options.workerId,
      provider: { baseURL: h.sim.url, apiKey: options.apiKey },
      concurrency: options.concurrency,
      queue: options.queue,
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      ...(options.secret ? { secret: options.secret } : {}),
      ...options.worker,
    });
    h.boss = await createBoss(h.tdb.url, { supervise: false });
    return h as WorkerHarness;
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
