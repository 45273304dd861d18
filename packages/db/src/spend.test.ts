import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './pool';
import { capsFor, listCaps, reachedCap } from './spend';
import { createTestDatabase, type TestDatabase } from './testing';
import { insertUsage, type UsageRow } from './usage';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
const teamA = randomUUID();
const teamB = randomUUID();

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 4 });
  await pool.query(`insert into teams (id, name, slug) values ($1, 'A', 'sa'), ($2, 'B', 'sb')`, [
    teamA,
    teamB,
  ]);
  await pool.query(
    `insert into users (id, name, email) values ('ann', 'Ann', 'ann@s.test'), ('bob', 'Bob', 'bob@s.test')`,
  );
});
afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

let n = 0;
const rec = (cost: string, at: string, over: Partial<UsageRow> = {}): UsageRow => ({
  providerRequestId: `req_${++n}`,
  messageId: `msg_${n}`,
  taskId: null,
  teamId: teamA,
  userId: 'ann',
  backend: 'api',
  model: 'claude-sonnet-5',
  inputTokens: 1,
  outputTokens: 1,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
  costUsd: cost,
  status: 'ok',
  at: new Date(at),
  ...over,
});

/** baton_cap_state at a fixed instant (the `baton.now` clock). */
async function at<T>(when: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query(`select set_config('baton.now', $1, false)`, [when]);
    return await fn(c);
  } finally {
    await c.query(`select set_config('baton.now', '', false)`);
    c.release();
  }
}

describe('spend', () => {
  it('is counted once per usage row, per team, user and UTC day', async () => {
    const a = rec('1.25', '2026-03-02T23:59:00Z');
    const b = rec('0.75', '2026-03-03T00:01:00Z');
    const c = rec('2', '2026-03-03T10:00:00Z', { userId: 'bob' });
    await insertUsage(pool, [a, b, c]);
    // The same rows again (a retried write): nothing more is spent.
    await insertUsage(pool, [
      a,
      b,
      c,
      rec('0.5', '2026-03-03T11:00:00Z', { teamId: teamB, userId: null }),
    ]);
    const { rows } = await pool.query<{ team: string; user_id: string; day: string; usd: string }>(
      `select case team_id when $1 then 'A' else 'B' end as team, user_id, day::text, usd::text
         from spend_daily order by team, user_id, day`,
      [teamA],
    );
    expect(rows).toEqual([
      { team: 'A', user_id: 'ann', day: '2026-03-02', usd: '1.2500000000' },
      { team: 'A', user_id: 'ann', day: '2026-03-03', usd: '0.7500000000' },
      { team: 'A', user_id: 'bob', day: '2026-03-03', usd: '2.0000000000' },
      { team: 'B', user_id: '', day: '2026-03-03', usd: '0.5000000000' },
    ]);
  });

  it('caps read their own window (UTC day, ISO week, month) and scope; the strictest is first', async () => {
    await pool.query(
      `insert into spend_caps (scope, team_id, user_id, period, usd) values
         ('team', $1, null, 'daily', 2.5), ('user', $1, 'ann', 'weekly', 1.5),
         ('instance', null, null, 'monthly', 100)`,
      [teamA],
    );
    const caps = await at('2026-03-03T12:00:00Z', (c) => capsFor(c, teamA, 'ann'));
    const byScope = Object.fromEntries(caps.map((x) => [x.scope, x]));
    // Tuesday 3 March: the team spent 0.75 + 2 that day; Ann 1.25 + 0.75 since Monday 2 March.
    expect(byScope.team).toMatchObject({ period: 'daily', spent: '2.750000', reached: true });
    expect(byScope.team!.resetsAt.toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(byScope.team!.message).toBe(
      "the team's daily cap of $2.50 is reached ($2.7500 spent); it resets at 2026-03-04T00:00:00Z",
    );
    expect(byScope.user).toMatchObject({ period: 'weekly', spent: '2.000000', reached: true });
    expect(byScope.user!.startsAt.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(byScope.instance).toMatchObject({ spent: '4.500000', reached: false });
    expect(caps[0]!.scope).toBe('user'); // reached, and resetting last
    // Bob has no user cap; the team's still applies to him.
    const bob = await at('2026-03-03T12:00:00Z', (c) => capsFor(c, teamA, 'bob'));
    expect(bob.map((x) => x.scope).sort()).toEqual(['instance', 'team']);
    // The next day the daily cap is open again; the weekly one is not.
    const next = await at('2026-03-04T00:00:01Z', (c) => reachedCap(c, teamA, 'ann'));
    expect(next?.scope).toBe('user');
    const nextBob = await at('2026-03-04T00:00:01Z', (c) => reachedCap(c, teamA, 'bob'));
    expect(nextBob).toBeUndefined();
    // Team B sees only the instance's cap; the list shows each cap with its own scope's spend.
    expect(
      (await at('2026-03-03T12:00:00Z', (c) => capsFor(c, teamB, null))).map((x) => x.scope),
    ).toEqual(['instance']);
    const listed = await at('2026-03-03T12:00:00Z', (c) => listCaps(c, teamA));
    expect(listed.map((x) => [x.scope, x.userId, x.spent])).toEqual([
      ['instance', null, '4.500000'],
      ['team', null, '2.750000'],
      ['user', 'ann', '2.000000'],
    ]);
  });

  it('tells the workers when a cap is reached (NOTIFY baton_spend_cap)', async () => {
    const listener = new pg.Client({ connectionString: tdb.url });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (m) => got.push(m.payload ?? ''));
    await listener.query('listen baton_spend_cap');
    try {
      await pool.query(
        `insert into spend_caps (scope, team_id, period, usd) values ('team', $1, 'daily', 1)`,
        [teamB],
      );
      await insertUsage(pool, [
        rec('0.4', new Date().toISOString(), { teamId: teamB, userId: null }),
      ]);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([]);
      await insertUsage(pool, [
        rec('0.7', new Date().toISOString(), { teamId: teamB, userId: null }),
      ]);
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got.map((p) => JSON.parse(p))).toEqual([
        expect.objectContaining({
          scope: 'team',
          team: teamB,
          message: expect.stringMatching(
            /^the team's daily cap of \$1\.00 is reached \(\$1\.1000 spent\)/,
          ),
        }),
      ]);
    } finally {
      await listener.end();
    }
  });
});
