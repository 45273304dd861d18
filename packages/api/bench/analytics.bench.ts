/**
 * pnpm bench:analytics — seeds 1,000,000 usage events over 90 days for 20
 * teams and 50 users (the worker's `insertUsage` from @baton/db/usage — one
 * INSERT … SELECT FROM unnest(arrays) … ON CONFLICT DO NOTHING per batch of
 * BENCH_BATCH records, from BENCH_WRITERS concurrent writers, measuring
 * ingest), then rolls them all up (`rollupUsage` from
 * BENCH_ROLLERS concurrent callers, BENCH_ROLLUP_BATCH rows per call, as the
 * workers' loops and the analytics router's catch-up do, measuring the rate and
 * the time per call), then times every dashboard query through the tRPC caller
 * (each includes the router's catch-up call, with nothing pending). Prints one
 * JSON line per query, one with the ingest rate and one with the rollup rate.
 *
 * BATON_TEST_DATABASE_URL to use an existing server (an admin URL; a fresh
 * database is created and dropped), otherwise an embedded PostgreSQL starts.
 * BENCH_EVENTS / BENCH_ITERATIONS to change the size; BENCH_KEEP=1 keeps the
 * database (with BATON_TEST_DATABASE_URL) and prints its URL, to EXPLAIN against.
 */
import { randomUUID } from 'node:crypto';
import { createDb } from '@baton/db';
import { rollupUsage } from '@baton/db/rollup';
import { createTestDatabase, startTestPostgres } from '@baton/db/testing';
import { insertUsage, type UsageRow } from '@baton/db/usage';
import { createCaller, createTRPCContext } from '../src/index';
import { CATCH_UP_ROWS } from '../src/router/analytics';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
const TEAMS = 20;
const USERS = 50;
const DAYS = 90;
const BATCH = 10_000;
/** Records per insertUsage call (one array per column, any size). */
const INGEST_BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 2);
/** Rows per rollup call: by default the router's catch-up bound (CATCH_UP_ROWS). */
const ROLLUP_BATCH = Number(process.env.BENCH_ROLLUP_BATCH ?? CATCH_UP_ROWS);
const ROLLERS = Number(process.env.BENCH_ROLLERS ?? 2);
const MODELS = [
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
  'claude-opus-4-5',
  'claude-sonnet-5',
  'claude-opus-5-5',
];
const ERRORS = ['overloaded_error', 'rate_limit_error', 'api_error', 'timeout'];

const log = (...a: unknown[]) => console.error('[bench]', ...a);

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pct(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

async function main() {
  const server = await startTestPostgres();
  const database = await createTestDatabase(server.adminUrl, { prefix: 'baton_bench' });
  const client = createDb(database.url, { max: 8, applicationName: 'baton-bench' });
  const { pool } = client;
  try {
    const rand = rng(42);
    // Teams, users (each in one team) and the bench's viewer in every team.
    const teamIds = Array.from({ length: TEAMS }, () => randomUUID());
    const userIds = Array.from({ length: USERS }, (_, i) => `bench_user_${i}`);
    await pool.query(
      `insert into teams (id, name, slug) select id, 'Team ' || ord, 'team-' || ord from unnest($1::uuid[]) with ordinality as t(id, ord)`,
      [teamIds],
    );
    await pool.query(
      `insert into users (id, name, email) select id, id, id || '@bench.test' from unnest($1::text[]) as t(id)`,
      [[...userIds, 'bench_viewer']],
    );
    await pool.query(
      `insert into memberships (team_id, user_id, role)
       select ($1::uuid[])[(ord - 1) % ${TEAMS} + 1], id, 'member'::role from unnest($2::text[]) with ordinality as t(id, ord)
       union all select t, 'bench_viewer', 'viewer'::role from unnest($1::uuid[]) as t`,
      [teamIds, userIds],
    );
    const userTeam = (u: number) => teamIds[u % TEAMS]!;
    // Tasks: ~10 usage events each.
    const taskCount = Math.ceil(EVENTS / 10);
    const taskIds: string[] = [];
    const taskUser: number[] = [];
    for (let start = 0; start < taskCount; start += BATCH) {
      const ids: string[] = [];
      const teams: string[] = [];
      const users: string[] = [];
      for (let i = start; i < Math.min(taskCount, start + BATCH); i++) {
        const u = Math.floor(rand() * USERS);
        const id = randomUUID();
        ids.push(id);
        teams.push(userTeam(u));
        users.push(userIds[u]!);
        taskIds.push(id);
        taskUser.push(u);
      }
      await pool.query(
        `insert into tasks (id, team_id, created_by, prompt, model, status)
         select id, team, usr, 'bench task', 'claude-sonnet-4-5', 'succeeded'
         from unnest($1::uuid[], $2::uuid[], $3::text[]) as t(id, team, usr)`,
        [ids, teams, users],
      );
    }
    log(`seeded ${TEAMS} teams, ${USERS} users, ${taskCount} tasks`);

    // Usage, chronological over 90 days (the way it arrives), generated up
    // front: the worker has its records in hand when it flushes, so only the
    // writes are timed.
    const end = Date.now();
    const start = end - DAYS * 86_400_000;
    const step = (end - start) / EVENTS;
    const batches: UsageRow[][] = [];
    for (let b = 0; b < EVENTS; b += INGEST_BATCH) {
      const batch: UsageRow[] = [];
      for (let i = b; i < Math.min(EVENTS, b + INGEST_BATCH); i++) {
        const t = Math.min(taskCount - 1, Math.floor(i / 10 + rand() * 3));
        const u = taskUser[t]!;
        const m = MODELS[Math.floor(rand() * MODELS.length)]!;
        const inp = Math.floor(200 + rand() * 4000);
        const out = Math.floor(20 + rand() * 800);
        const cw = rand() < 0.2 ? Math.floor(rand() * 2000) : 0;
        const crd = Math.floor(rand() * 20_000);
        const error = rand() < 0.02;
        batch.push({
          providerRequestId: `req_${i}`,
          messageId: `msg_${i}`,
          taskId: taskIds[t]!,
          teamId: userTeam(u),
          userId: userIds[u]!,
          backend: rand() < 0.7 ? 'api' : 'claude-code',
          model: m,
          inputTokens: error ? 0 : inp,
          outputTokens: error ? 0 : out,
          cacheWrite5mTokens: error ? 0 : cw,
          cacheWrite1hTokens: 0,
          cacheReadTokens: error ? 0 : crd,
          costUsd: error ? '0' : ((inp * 3 + out * 15 + cw * 3.75 + crd * 0.3) / 1e6).toFixed(10),
          latencyMs: Math.floor(300 + rand() * rand() * 20_000),
          ttftMs: Math.floor(80 + rand() * rand() * 3_000),
          status: error ? 'error' : 'ok',
          errorType: error ? ERRORS[Math.floor(rand() * ERRORS.length)]! : null,
          at: new Date(start + i * step),
        });
      }
      batches.push(batch);
    }
    // Several writers at once (a worker fleet writes concurrently), each
    // through the worker's own insert (@baton/db/usage insertUsage).
    let next = 0;
    let inserted = 0;
    const writer = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const n = await insertUsage(pool, batch);
        inserted += n;
        if (next % 100 === 0) log(`ingested ${next * INGEST_BATCH} events`);
      }
    };
    const ingestStart = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, writer));
    const ingestMs = performance.now() - ingestStart;
    if (inserted !== EVENTS) throw new Error(`inserted ${inserted} of ${EVENTS} events`);
    const ingestRate = Math.round(EVENTS / (ingestMs / 1000));
    log(`ingest: ${ingestRate} events/s`);

    // Roll everything up: concurrent callers, each call claiming its own batch.
    const callMs: number[] = [];
    let rolled = 0;
    const roller = async () => {
      for (;;) {
        const t0 = performance.now();
        const n = await rollupUsage(pool, { maxRows: ROLLUP_BATCH });
        if (n === ROLLUP_BATCH) callMs.push(performance.now() - t0);
        rolled += n;
        if (n < ROLLUP_BATCH) return;
      }
    };
    const rollupStart = performance.now();
    await Promise.all(Array.from({ length: ROLLERS }, roller));
    const rollupMs = performance.now() - rollupStart;
    if (rolled !== EVENTS) throw new Error(`rolled up ${rolled} of ${EVENTS} events`);
    const rollupRate = Math.round(EVENTS / (rollupMs / 1000));
    log(`rollup: ${rollupRate} events/s`);
    callMs.sort((a, b) => a - b);
    /** A call with nothing pending (what every dashboard request pays when the workers keep up). */
    const idleMs = async () => {
      const times: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const t0 = performance.now();
        await rollupUsage(pool, { maxRows: ROLLUP_BATCH });
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b);
    };
    const idleBeforeVacuum = await idleMs();
    await pool.query('vacuum analyze');
    const idleAfterVacuum = await idleMs();
    const counts = await pool.query<{ raw: string; minute: string; hour: string; day: string }>(
      `select (select count(*) from usage_events) raw, (select count(*) from usage_rollup_minute) as "minute",
              (select count(*) from usage_rollup_hour) as "hour", (select count(*) from usage_rollup_day) as "day"`,
    );
    log('rows', counts.rows[0]);
    const dist = await pool.query<{ n: string }>('select count(*) as n from usage_task_cost_day');
    log('task cost distribution rows', dist.rows[0]?.n);

    const caller = createCaller(
      await createTRPCContext({
        headers: new Headers(),
        client,
        databaseUrl: database.url,
        session: {
          user: { id: 'bench_viewer', name: 'Bench', email: 'bench_viewer@bench.test' },
          session: { id: 'bench', expiresAt: new Date(end + 3_600_000) },
        },
      }),
    );
    const now = new Date(end);
    const ago = (ms: number) => new Date(end - ms);
    const D = 86_400_000;
    const queries: [string, (teamId: string) => Promise<unknown>][] = [
      ['summary_90d', (teamId) => caller.analytics.summary({ teamId, from: ago(90 * D), to: now })],
      ['summary_24h', (teamId) => caller.analytics.summary({ teamId, from: ago(D), to: now })],
      [
        'timeseries_90d',
        (teamId) => caller.analytics.timeseries({ teamId, from: ago(90 * D), to: now }),
      ],
      [
        'timeseries_7d',
        (teamId) => caller.analytics.timeseries({ teamId, from: ago(7 * D), to: now }),
      ],
      [
        'timeseries_6h',
        (teamId) => caller.analytics.timeseries({ teamId, from: ago(D / 4), to: now }),
      ],
      [
        'cost_by_model_90d',
        (teamId) => caller.analytics.costByModel({ teamId, from: ago(90 * D), to: now }),
      ],
      [
        'error_types_90d',
        (teamId) => caller.analytics.errorTypes({ teamId, from: ago(90 * D), to: now }),
      ],
      [
        'task_costs_90d',
        (teamId) => caller.analytics.taskCosts({ teamId, from: ago(90 * D), to: now }),
      ],
      ['blocks_48h', (teamId) => caller.analytics.blocks({ teamId, from: ago(7 * D), to: now })],
      ['facets', (teamId) => caller.analytics.facets({ teamId })],
      [
        'summary_90d_by_model',
        (teamId) =>
          caller.analytics.summary({
            teamId,
            from: ago(90 * D),
            to: now,
            model: 'claude-opus-4-5',
          }),
      ],
      [
        'csv_timeseries_90d',
        (teamId) =>
          caller.analytics.csv({ teamId, from: ago(90 * D), to: now, dataset: 'timeseries' }),
      ],
    ];
    for (const [name, run] of queries) {
      for (let i = 0; i < 3; i++) await run(teamIds[i % TEAMS]!); // warm-up
      const times: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const t0 = performance.now();
        await run(teamIds[i % TEAMS]!);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      console.log(
        JSON.stringify({
          query: name,
          events: EVENTS,
          p50_ms: Number(pct(times, 0.5).toFixed(2)),
          p95_ms: Number(pct(times, 0.95).toFixed(2)),
        }),
      );
    }
    console.log(
      JSON.stringify({
        ingest_events_per_s: ingestRate,
        events: EVENTS,
        batch: INGEST_BATCH,
        writers: WRITERS,
      }),
    );
    const ms = (v: number) => Number(v.toFixed(2));
    console.log(
      JSON.stringify({
        rollup_events_per_s: rollupRate,
        events: EVENTS,
        batch: ROLLUP_BATCH,
        callers: ROLLERS,
        call_p50_ms: ms(pct(callMs, 0.5)),
        call_p95_ms: ms(pct(callMs, 0.95)),
        idle_call_p50_ms: ms(pct(idleBeforeVacuum, 0.5)),
        idle_call_p95_ms: ms(pct(idleBeforeVacuum, 0.95)),
        idle_call_after_vacuum_p95_ms: ms(pct(idleAfterVacuum, 0.95)),
      }),
    );
  } finally {
    await client.close();
    if (process.env.BENCH_KEEP === '1' && server.source === 'external') log(`kept ${database.url}`);
    else await database.drop().catch(() => undefined);
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
