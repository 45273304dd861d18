import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './pool';
import { rollupAll, rollupUsage, startRollupLoop } from './rollup';
import { createTestDatabase, type TestDatabase } from './testing';
import { insertUsage, type UsageRow } from './usage';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
const teams = [randomUUID(), randomUUID()];
const tasks: string[] = [];
const MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5'];
const T0 = Date.parse('2026-03-01T22:50:00Z');

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 12 });
  await pool.query(
    `insert into teams (id, name, slug) select id, 'T' || o, 't-' || o from unnest($1::uuid[]) with ordinality as x(id, o)`,
    [teams],
  );
  await pool.query(
    `insert into users (id, name, email) select id, id, id || '@x.test' from unnest($1::text[]) as t(id)`,
    [['user_0', 'user_1', 'user_2']],
  );
  for (let i = 0; i < 30; i++) tasks.push(randomUUID());
  await pool.query(
    `insert into tasks (id, team_id, prompt, model) select id, ($2::uuid[])[o % 2 + 1], 'p', 'claude-sonnet-4-5'
     from unnest($1::uuid[]) with ordinality as x(id, o)`,
    [tasks, teams],
  );
});

afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

/** Deterministic usage record i (the same i twice is a duplicate). */
function row(i: number): UsageRow {
  const task = i % 7 === 0 ? null : tasks[i % tasks.length]!;
  const team = task ? teams[(tasks.indexOf(task) + 1) % 2]! : teams[i % 2]!;
  const error = i % 13 === 0;
  return {
    providerRequestId: `req_${i}`,
    messageId: `msg_${i}`,
    taskId: task,
    teamId: team,
    userId: i % 5 === 0 ? null : `user_${i % 3}`,
    backend: i % 4 === 0 ? 'claude-code' : 'api',
    model: MODELS[i % MODELS.length]!,
    inputTokens: error ? 0 : 100 + (i % 17),
    outputTokens: error ? 0 : 10 + (i % 11),
    cacheWrite5mTokens: i % 3,
    cacheWrite1hTokens: i % 2,
    cacheReadTokens: error ? 0 : 1000 + i,
    costUsd: error ? '0' : `0.${String(1000 + ((i * 7919) % 9000)).padStart(6, '0')}1234`,
    latencyMs: i % 9 === 0 ? null : 30 + ((i * 97) % 70_000),
    ttftMs: i % 11 === 0 ? null : 20 + ((i * 31) % 5_000),
    status: error ? 'error' : 'ok',
    errorType: error ? ['overloaded_error', 'api_error'][i % 2]! : null,
    // Spread over three days (across midnight UTC) and many minutes.
    at: new Date(T0 + ((i * 7_919_000) % (3 * 86_400_000))),
  };
}

/** The worker's insert (insertUsage): idempotent, so replayed ids insert nothing. */
const insert = (ids: number[]): Promise<number> => insertUsage(pool, ids.map(row));

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

const BOUNDS = '{50,100,200,300,500,750,1000,1500,2000,3000,5000,7500,10000,15000,30000,60000}';
const TASK_BOUNDS = '{0.001,0.01,0.05,0.1,0.25,0.5,1,2,5,10}';

/** Per team/model/day/user/backend from usage_events, in the rollup's shape. */
const DIRECT = `
  select date_trunc('day', created_at, 'UTC') as bucket, team_id, coalesce(user_id, '') as user_id, model, backend::text,
    count(*)::bigint as requests, (count(*) filter (where status = 'error'))::bigint as errors,
    sum(input_tokens)::bigint as input_tokens, sum(output_tokens)::bigint as output_tokens,
    sum(cache_write_5m_tokens)::bigint as cw5, sum(cache_write_1h_tokens)::bigint as cw1,
    sum(cache_read_tokens)::bigint as cache_read_tokens, sum(cost_usd)::text as cost_usd,
    count(latency_ms)::bigint as latency_count, coalesce(sum(latency_ms), 0)::bigint as latency_ms_sum,
    count(ttft_ms)::bigint as ttft_count, coalesce(sum(ttft_ms), 0)::bigint as ttft_ms_sum,
    array[${Array.from({ length: 17 }, (_, b) => `(count(*) filter (where lb = ${b}))::int`).join(', ')}] as latency_hist
  from (select u.*, width_bucket(u.latency_ms, '${BOUNDS}'::int[]) as lb from usage_events u) s
  group by 1, 2, 3, 4, 5`;
const FROM_ROLLUP = (table: string) => `
  select date_trunc('day', bucket, 'UTC') as bucket, team_id, user_id, model, backend::text,
    sum(requests)::bigint as requests, sum(errors)::bigint as errors,
    sum(input_tokens)::bigint as input_tokens, sum(output_tokens)::bigint as output_tokens,
    sum(cache_write_5m_tokens)::bigint as cw5, sum(cache_write_1h_tokens)::bigint as cw1,
    sum(cache_read_tokens)::bigint as cache_read_tokens, sum(cost_usd)::text as cost_usd,
    sum(latency_count)::bigint as latency_count, sum(latency_ms_sum)::bigint as latency_ms_sum,
    sum(ttft_count)::bigint as ttft_count, sum(ttft_ms_sum)::bigint as ttft_ms_sum,
    array[${Array.from({ length: 17 }, (_, b) => `coalesce(sum(latency_hist[${b + 1}]), 0)::int`).join(', ')}] as latency_hist
  from ${table} group by 1, 2, 3, 4, 5`;

async function sorted(sql: string) {
  const { rows } = await pool.query(sql);
  const norm = rows.map((r) => ({
    ...r,
    bucket: new Date(r.bucket).toISOString(),
    cost_usd: Number(r.cost_usd).toFixed(10),
  }));
  return norm.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function expectExact() {
  const { rows: pending } = await pool.query(
    'select count(*)::int as n from usage_events where not rolled_up',
  );
  expect(pending[0].n).toBe(0);
  const direct = await sorted(DIRECT);
  expect(direct.length).toBeGreaterThan(10);
  for (const t of ['usage_rollup_minute', 'usage_rollup_hour', 'usage_rollup_day']) {
    const fromRollup = await sorted(FROM_ROLLUP(t));
    expect(fromRollup, t).toEqual(direct);
  }
  const errDirect = await pool.query(
    `select date_trunc('hour', created_at, 'UTC') as b, team_id, coalesce(user_id, '') u, model, backend::text, error_type, count(*)::bigint n
     from usage_events where status = 'error' group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6`,
  );
  const errRollup = await pool.query(
    `select bucket as b, team_id, user_id u, model, backend::text, error_type, errors n
     from usage_error_rollup_hour order by 1, 2, 3, 4, 5, 6`,
  );
  expect(errRollup.rows).toEqual(errDirect.rows);
  const taskDirect = await pool.query(
    `select task_id, count(*)::bigint requests, sum(cost_usd)::numeric(24,10)::text cost, min(created_at) first_at, max(created_at) last_at,
       sum(input_tokens)::bigint i, (count(*) filter (where status = 'error'))::bigint e
     from usage_events where task_id is not null group by 1 order by 1`,
  );
  const taskRollup = await pool.query(
    `select task_id, requests, cost_usd::numeric(24,10)::text cost, first_at, last_at, input_tokens i, errors e
     from usage_task_rollup order by 1`,
  );
  expect(taskRollup.rows).toEqual(taskDirect.rows);
  // The cost distribution equals a width_bucket group-by over the per-task rows.
  const distDirect = await pool.query(
    `select date_trunc('day', first_at, 'UTC') d, team_id, user_id, model, backend::text, width_bucket(cost_usd, '${TASK_BOUNDS}'::numeric[]) b,
       count(*)::bigint n, sum(cost_usd)::numeric(24,10)::text c
     from usage_task_rollup group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6`,
  );
  const distRollup = await pool.query(
    `select day d, team_id, user_id, model, backend::text, bucket b, tasks n, cost_usd::numeric(24,10)::text c
     from usage_task_cost_day where tasks <> 0 or cost_usd <> 0 order by 1, 2, 3, 4, 5, 6`,
  );
  expect(distRollup.rows).toEqual(distDirect.rows);
}

describe('baton_rollup_usage', () => {
  it('rolls each usage row up exactly once: concurrent callers, duplicates, partial batches', async () => {
    expect(await rollupUsage(pool)).toBe(0);
    expect(await insert(range(0, 400))).toBe(400);
    // A partial batch, then a replay with duplicates (never counted twice).
    expect(await rollupUsage(pool, { maxRows: 150 })).toBe(150);
    expect(await insert([...range(100, 300), ...range(400, 450)])).toBe(50);
    // Eight callers with small batches while more usage arrives (tasks' costs grow across batches).
    let inserting = true;
    const writer = (async () => {
      for (let b = 450; b < 1450; b += 100)
        await insert([...range(b, b + 100), ...range(b - 50, b)]);
      inserting = false;
    })();
    const counts = await Promise.all(
      Array.from({ length: 8 }, async () => {
        let total = 0;
        for (;;) {
          const n = await rollupUsage(pool, { maxRows: 23 });
          total += n;
          if (n === 0 && !inserting) return total;
          if (n === 0) await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    await writer;
    const rest = await rollupAll(pool, { maxRows: 1000 });
    expect(counts.reduce((a, b) => a + b, 0) + rest).toBe(1450 - 150);
    expect(await rollupUsage(pool)).toBe(0);
    await expectExact();
  });

  it('stays exact with several writers and rollup callers at once (overlapping batches, in transactions)', async () => {
    // Four writers replay overlapping windows (as retried flushes do) inside
    // transactions, while four callers roll up in small batches.
    let writing = 4;
    const written = new Set<number>();
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let b = 3000 + w * 50; b < 3800; b += 200) {
        const ids = [...range(b, b + 120), ...range(b - 60, b)];
        for (const id of ids) written.add(id);
        const client = await pool.connect();
        try {
          await client.query('begin');
          await insertUsage(client, ids.map(row));
          await client.query('commit');
        } finally {
          client.release();
        }
      }
      writing--;
    });
    const rollers = Array.from({ length: 4 }, async () => {
      let total = 0;
      for (;;) {
        const n = await rollupUsage(pool, { maxRows: 37 });
        total += n;
        if (n === 0 && writing === 0) return total;
        if (n === 0) await new Promise((r) => setTimeout(r, 3));
      }
    });
    await Promise.all(writers);
    const rolled = (await Promise.all(rollers)).reduce((a, b) => a + b, 0);
    const { rows } = await pool.query(
      'select count(*)::int n from usage_events where provider_request_id = any($1::text[])',
      [[...written].map((i) => `req_${i}`)],
    );
    expect(rows[0].n).toBe(written.size);
    expect(rolled + (await rollupAll(pool))).toBe(written.size);
    await expectExact();
  });

  it('a deleted task leaves the cost distribution', async () => {
    const { rows } = await pool.query<{ task_id: string }>(
      'select task_id from usage_task_rollup order by cost_usd desc limit 1',
    );
    const gone = rows[0]!.task_id;
    await pool.query('delete from tasks where id = $1', [gone]);
    // Later usage goes to a new task of the same team.
    const idx = tasks.indexOf(gone);
    tasks[idx] = randomUUID();
    await pool.query(
      `insert into tasks (id, team_id, prompt, model) values ($1, $2, 'p', 'claude-sonnet-4-5')`,
      [tasks[idx], teams[(idx + 1) % 2]],
    );
    // Its usage stays (task_id set null) and stays counted in the time rollups;
    // the per-task rollup and the distribution lose it.
    const { rows: left } = await pool.query(
      'select count(*)::int n from usage_task_rollup where task_id = $1',
      [gone],
    );
    expect(left[0].n).toBe(0);
    const { rows: dist } = await pool.query(
      `select (select sum(tasks)::int from usage_task_cost_day) a, (select count(*)::int from usage_task_rollup) b`,
    );
    expect(dist[0].a).toBe(dist[0].b);
  });

  it('startRollupLoop keeps up in the background and stops', async () => {
    const loop = startRollupLoop(pool, { intervalMs: 20, maxRows: 50 });
    expect(await insert(range(2000, 2300))).toBe(300);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await pool.query(
        'select count(*)::int n from usage_events where not rolled_up',
      );
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error('the loop did not catch up');
      await new Promise((r) => setTimeout(r, 20));
    }
    await loop.stop();
    expect(loop.rolledUp).toBe(300);
    expect(await insert(range(2300, 2310))).toBe(10);
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await pool.query(
      'select count(*)::int n from usage_events where not rolled_up',
    );
    expect(rows[0].n).toBe(10);
    await rollupAll(pool);
  });
});
