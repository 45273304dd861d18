// pnpm bench:worker — bare pg-boss (no-op handler) vs Baton end to end (submit → queue → worker →
// @baton/core → simulator at zero delay → events and usage written → succeeded), with one worker
// process and with three, on the same database in one run. One JSON line per configuration.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createDb, runMigrations } from '@baton/db';
import { createBoss, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, startTestPostgres } from '@baton/db/testing';
import { startSimulator } from '@baton/simulator';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { WORKER_NODE_FLAGS } from '../src/node-flags';
import { pgCpuSeconds } from './pg-cpu';

const TASKS = Number(process.env.BENCH_TASKS ?? 3000);
// Pickup latency is measured on a steady trickle (below capacity), after the throughput flood.
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 100);
const LATENCY_INTERVAL_MS = 50;
const here = import.meta.dirname;

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

function spawnNode(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): { child: ChildProcess; lines: string[]; ready: Promise<void> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      if (l === 'READY' || l.includes('"worker ready"')) resolve();
    });
    // A worker that dies before it is ready fails the run instead of hanging it.
    child.once('exit', (code) =>
      reject(new Error(`${path.basename(script)} exited (${code}): ${lines.slice(-5).join('\n')}`)),
    );
  });
  return { child, lines, ready };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

// pg_stat_statements counts the statements each task costs (an embedded server only).
const server = await startTestPostgres({
  settings: {
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'top',
    'pg_stat_statements.max': '10000',
  },
});
const sim = await startSimulator({
  port: 0,
  limits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
  response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 }, seed: 1 },
});

try {
  for (const n of (process.env.BENCH_WORKERS ?? '1,3').split(',').map(Number)) {
    // ---- bare pg-boss
    if (process.env.BENCH_SKIP_BARE !== '1') {
      const db = await createTestDatabase(server.adminUrl, { migrate: false });
      const boss = new PgBoss({
        connectionString: db.url,
        schema: 'pgboss',
        max: 8,
        supervise: false,
      });
      await boss.start();
      await boss.createQueue('bench-bare', { notify: true });
      const procs = Array.from({ length: n }, () =>
        spawnNode(path.join(here, 'bare-worker.ts'), { DATABASE_URL: db.url }),
      );
      await Promise.all(procs.map((p) => p.ready));
      const t0 = performance.now();
      for (let i = 0; i < TASKS; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, TASKS - i) }, (_, k) =>
            boss.send('bench-bare', { i: i + k }),
          ),
        );
      }
      const counter = new pg.Pool({ connectionString: db.url, max: 1 });
      for (;;) {
        const { rows } = await counter.query<{ n: number }>(
          `select count(*)::int as n from pgboss.job where name = 'bench-bare' and state = 'completed'`,
        );
        if (rows[0]!.n >= TASKS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await counter.end();
      const seconds = (performance.now() - t0) / 1000;
      for (let i = 0; i < LATENCY_TASKS; i++) {
        await boss.send('bench-bare', { latency: true, i });
        await new Promise((r) => setTimeout(r, LATENCY_INTERVAL_MS));
      }
      const latencyCounter = new pg.Pool({ connectionString: db.url, max: 1 });
      for (;;) {
        const { rows } = await latencyCounter.query<{ n: number }>(
          `select count(*)::int as n from pgboss.job where name = 'bench-bare' and state = 'completed'`,
        );
        if (rows[0]!.n >= TASKS + LATENCY_TASKS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await latencyCounter.end();
      await Promise.all(procs.map((p) => stop(p.child)));
      const reports = procs.map(
        (p) => JSON.parse(p.lines.at(-1) ?? '{}') as { latencyPickups: number[]; peakRss: number },
      );
      const pickups = reports.flatMap((r) => r.latencyPickups ?? []);
      console.log(
        JSON.stringify({
          config: `bare-${n}`,
          tasks: TASKS,
          seconds: round(seconds, 2),
          tasks_per_s: round(TASKS / seconds),
          pickup_p50_ms: round(pct(pickups, 50)),
          pickup_p99_ms: round(pct(pickups, 99)),
          overhead_p50_ms: 0,
          worker_rss_mb: round(Math.max(...reports.map((r) => r.peakRss ?? 0)) / 2 ** 20),
          load_1m: round(os.loadavg()[0]!, 2),
        }),
      );
      await boss.stop({ graceful: false });
      await db.drop();
    }
    // ---- Baton end to end
    {
      const db = await createTestDatabase(server.adminUrl, { migrate: false });
      await runMigrations(db.url);
      const client = createDb(db.url, { max: 16 });
      const counting = await client.pool
        .query('create extension if not exists pg_stat_statements')
        .then(
          () => true,
          () => false,
        );
      const boss = await createBoss(db.url, { supervise: false, max: 16 });
      const [team] = await client.db
        .insert(teams)
        .values({ name: 'bench', slug: 'bench', maxConcurrentTasks: 64, allowInstanceKey: true })
        .returning();
      const procs = Array.from({ length: n }, (_, i) =>
        spawnNode(
          path.join(here, '../src/main.ts'),
          {
            DATABASE_URL: db.url,
            ANTHROPIC_BASE_URL: sim.url,
            ANTHROPIC_API_KEY: 'sk-bench',
            WORKER_ID: `bench-${i}`,
            WORKER_PORT: '0',
            WORKER_CONCURRENCY: '32',
            LOG_LEVEL: 'info',
          },
          [
            // As `pnpm --filter @baton/worker start` runs it (see the README).
            ...WORKER_NODE_FLAGS,
            ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
          ],
        ),
      );
      await Promise.all(procs.map((p) => p.ready));
      let peakRss = 0;
      const sampler = setInterval(() => {
        for (const p of procs) {
          const pid = p.child.pid;
          if (!pid) continue;
          try {
            const status = readFileSync(`/proc/${pid}/status`, 'utf8');
            const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
            peakRss = Math.max(peakRss, kb * 1024);
          } catch {
            // exited
          }
        }
      }, 250);
      if (counting) await client.pool.query('select pg_stat_statements_reset()');
      const cpu0 = pgCpuSeconds();
      const t0 = performance.now();
      for (let i = 0; i < TASKS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, TASKS - i) }, (_, k) =>
            submitTask(client.db, boss, {
              teamId: team!.id,
              prompt: `bench ${i + k}`,
              model: 'claude-haiku-4-5',
              teamQuota: 64,
              options: { maxTokens: 64 },
            }),
          ),
        );
      }
      const submitted = (performance.now() - t0) / 1000;
      for (;;) {
        const { rows } = await client.pool.query<{ n: number; bad: number }>(
          `select count(*) filter (where status = 'succeeded')::int as n, count(*) filter (where status in ('failed','cancelled','timed_out'))::int as bad from tasks`,
        );
        if (rows[0]!.bad > 0) throw new Error(`${rows[0]!.bad} bench tasks did not succeed`);
        if (rows[0]!.n >= TASKS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const seconds = (performance.now() - t0) / 1000;
      const pgCpuMs = ((pgCpuSeconds() - cpu0) * 1000) / TASKS;
      // Every statement of the flood in this database (submit, queue, workers), but the
      // benchmark's own progress poll.
      const statements = counting
        ? Number(
            (
              await client.pool.query<{ n: string }>(
                `select coalesce(sum(calls), 0)::text as n from pg_stat_statements s
                   join pg_database d on d.oid = s.dbid
                  where d.datname = current_database()
                    and s.query not like '%count(*) filter (where status = %'
                    and s.query not like '%pg_stat_statements%'`,
              )
            ).rows[0]!.n,
          ) / TASKS
        : undefined;
      console.error(`baton-${n}: all ${TASKS} submitted after ${submitted.toFixed(1)} s`);
      for (let i = 0; i < LATENCY_TASKS; i++) {
        await submitTask(client.db, boss, {
          teamId: team!.id,
          prompt: `latency ${i}`,
          model: 'claude-haiku-4-5',
          teamQuota: 64,
          options: { maxTokens: 64 },
        });
        await new Promise((r) => setTimeout(r, LATENCY_INTERVAL_MS));
      }
      for (;;) {
        const { rows } = await client.pool.query<{ n: number }>(
          `select count(*)::int as n from tasks where status = 'succeeded'`,
        );
        if (rows[0]!.n >= TASKS + LATENCY_TASKS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      clearInterval(sampler);
      const { rows } = await client.pool.query<{
        pickup: number;
        overhead: number;
        latency_phase: boolean;
      }>(
        `select extract(epoch from t.started_at - t.created_at) * 1000 as pickup,
                extract(epoch from t.finished_at - t.started_at) * 1000 - coalesce(u.latency, 0) as overhead,
                t.prompt like 'latency %' as latency_phase
           from tasks t left join lateral (select sum(latency_ms) as latency from usage_events where task_id = t.id) u on true`,
      );
      const events = await client.pool.query<{ n: number }>(
        'select count(*)::int as n from usage_events',
      );
      if (events.rows[0]!.n !== TASKS + LATENCY_TASKS) {
        throw new Error(`expected ${TASKS + LATENCY_TASKS} usage rows, found ${events.rows[0]!.n}`);
      }
      const trickle = rows.filter((r) => r.latency_phase);
      console.log(
        JSON.stringify({
          config: `baton-${n}`,
          tasks: TASKS,
          seconds: round(seconds, 2),
          tasks_per_s: round(TASKS / seconds),
          pickup_p50_ms: round(
            pct(
              trickle.map((r) => Number(r.pickup)),
              50,
            ),
          ),
          pickup_p99_ms: round(
            pct(
              trickle.map((r) => Number(r.pickup)),
              99,
            ),
          ),
          overhead_p50_ms: round(
            pct(
              trickle.map((r) => Number(r.overhead)),
              50,
            ),
          ),
          worker_rss_mb: round(peakRss / 2 ** 20),
          statements_per_task: statements === undefined ? null : round(statements, 2),
          pg_cpu_ms_per_task: round(pgCpuMs, 2),
          load_1m: round(os.loadavg()[0]!, 2),
        }),
      );
      await Promise.all(procs.map((p) => stop(p.child)));
      await boss.stop({ graceful: false });
      await client.close();
      await db.drop();
    }
  }
} finally {
  await sim.close();
  await server.stop();
}
