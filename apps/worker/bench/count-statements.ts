// Debug aid: runs N Baton tasks through one in-process worker (the core runner, the simulator
// at zero delay) and prints how many SQL statements of each kind every task cost.
//   pnpm --filter @baton/worker exec tsx bench/count-statements.ts [tasks] [workers]
// (workers run in this process: counts are exact, times only indicative)

import { createDb } from '@baton/db';
import { createBoss, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, startTestPostgres } from '@baton/db/testing';
import { startSimulator } from '@baton/simulator';
import pg from 'pg';
import { createLogger } from '../src/logger';
import { startWorker } from '../src/worker';
import { pgCpuSeconds } from './pg-cpu';

const N = Number(process.argv[2] ?? 200);
const server = await startTestPostgres();
const db = await createTestDatabase(server.adminUrl);
// Time spent in each PL/pgSQL function (pg_stat_user_functions), for the worker's SQL functions.
{
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`alter database "${db.name}" set track_functions = 'pl'`);
  await admin.end();
}
const sim = await startSimulator({
  port: 0,
  limits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
  response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 }, seed: 1 },
});
const W = Number(process.argv[3] ?? 1);
const workers = await Promise.all(
  Array.from({ length: W }, (_, i) =>
    startWorker({
      databaseUrl: db.url,
      port: 0,
      host: '127.0.0.1',
      workerId: `count-${i}`,
      logger: createLogger({ level: 'silent' }),
      provider: { baseURL: sim.url, apiKey: 'sk-count' },
      concurrency: 32,
    }),
  ),
);
const client = createDb(db.url, { max: 4 });
const boss = await createBoss(db.url, { supervise: false, max: 4 });
const [team] = await client.db
  .insert(teams)
  .values({ name: 'count', slug: 'count', maxConcurrentTasks: 64, allowInstanceKey: true })
  .returning();

const counts = new Map<string, number>();
const times = new Map<string, number>();
let counting = false;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const app = (this as unknown as { connectionParameters?: { application_name?: string } })
    .connectionParameters?.application_name;
  if (counting && app?.startsWith('baton-')) {
    const q = args[0] as string | { text?: string };
    const text = (typeof q === 'string' ? q : (q?.text ?? '?')).replace(/\s+/g, ' ').trim();
    const key = `${app.split(':')[0]} | ${text.slice(0, 110)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const t0 = performance.now();
    const r = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (r && typeof (r as Promise<unknown>).finally === 'function') {
      void (r as Promise<unknown>)
        .finally(() => times.set(key, (times.get(key) ?? 0) + performance.now() - t0))
        .catch(() => undefined);
    }
    return r;
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

counting = true;
const cpu0 = process.cpuUsage();
const pg0 = pgCpuSeconds();
const t0 = performance.now();
for (let i = 0; i < N; i += 25) {
  await Promise.all(
    Array.from({ length: Math.min(25, N - i) }, (_, k) =>
      submitTask(client.db, boss, {
        teamId: team!.id,
        prompt: `count ${i + k}`,
        model: 'claude-haiku-4-5',
        teamQuota: 64,
        options: { maxTokens: 64 },
      }),
    ),
  );
}
for (;;) {
  const { rows } = await client.pool.query<{ n: number }>(
    `select count(*)::int as n from tasks where status = 'succeeded'`,
  );
  if (rows[0]!.n >= N) break;
  await new Promise((r) => setTimeout(r, 20));
}
counting = false;
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const nodeMs = (cpu.user + cpu.system) / 1000 / N;
const pgMs = ((pgCpuSeconds() - pg0) * 1000) / N;
let total = 0;
for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) {
  total += v;
  const ms = (times.get(k) ?? 0) / v;
  console.log(`${(v / N).toFixed(2).padStart(6)} ${ms.toFixed(1).padStart(7)} ms  ${k}`);
}
console.log(
  `${(total / N).toFixed(2).padStart(6)}  TOTAL per task (${N} tasks, ${seconds.toFixed(1)} s)`,
);
console.log(
  `CPU per task: ${nodeMs.toFixed(2)} ms in this process (workers, simulator, submitter), ${pgMs.toFixed(2)} ms in PostgreSQL`,
);
{
  const { rows } = await client.pool.query<{ funcname: string; calls: number; self_ms: number }>(
    'select funcname, calls, self_time as self_ms from pg_stat_user_functions order by self_time desc limit 8',
  );
  for (const r of rows) {
    console.log(
      `${(r.calls / N).toFixed(2).padStart(6)} ${(r.self_ms / r.calls).toFixed(2).padStart(7)} ms self  ${r.funcname}()`,
    );
  }
}
if (process.env.EXPLAIN) {
  const { rows } = await client.pool.query(
    `explain (analyze, buffers) select count(*)::int from tasks where team_id = $1 and status = 'running' and id <> $2`,
    [team!.id, team!.id],
  );
  for (const r of rows) console.log(Object.values(r)[0]);
}
await Promise.all(workers.map((w) => w.stop()));
await boss.stop({ graceful: false });
await client.close();
await sim.close();
await db.drop();
await server.stop();
process.exit(0);
