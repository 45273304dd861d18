// A bare pg-boss worker with a no-op handler: the baseline `pnpm bench:worker` compares Baton to.
// Prints one JSON line with its pickup latencies and peak RSS when it receives SIGTERM.
import { type JobWithMetadata, PgBoss } from 'pg-boss';

const url = process.env.DATABASE_URL;
const queue = process.env.BENCH_QUEUE ?? 'bench-bare';
if (!url) throw new Error('DATABASE_URL is required');

// The same pg-boss settings as Baton's worker (see @baton/db/queue and the executor).
const boss = new PgBoss({
  connectionString: url,
  schema: 'pgboss',
  max: 4,
  useListenNotify: true,
  supervise: true,
  monitorIntervalSeconds: 10,
  superviseIntervalSeconds: 10,
  queueCacheIntervalSeconds: 2,
});
await boss.start();
const pickups: number[] = [];
const latencyPickups: number[] = [];
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 250);
await boss.work<object>(
  queue,
  {
    localConcurrency: 32,
    batchSize: 1,
    pollingIntervalSeconds: 2,
    notifyPollingIntervalSeconds: 2,
    burstWhenReadyExceeds: 1,
    includeMetadata: true,
  },
  async (jobs) => {
    for (const j of jobs) {
      const ms = Date.now() - (j as JobWithMetadata<object>).createdOn.getTime();
      if ((j.data as { latency?: boolean }).latency) latencyPickups.push(ms);
      else pickups.push(ms);
    }
  },
);
process.stdout.write('READY\n');
process.once('SIGTERM', async () => {
  clearInterval(sampler);
  await boss.stop({ graceful: false, close: true });
  process.stdout.write(`${JSON.stringify({ pickups, latencyPickups, peakRss })}\n`);
  process.exit(0);
});
