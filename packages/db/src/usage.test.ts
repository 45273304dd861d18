import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './pool';
import { createTestDatabase, type TestDatabase } from './testing';
import { insertUsage, type UsageRow } from './usage';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
const teamA = randomUUID();
const teamB = randomUUID();
const taskA = randomUUID();
const taskB = randomUUID();
const sessionA = randomUUID();

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 12 });
  await pool.query(
    `insert into teams (id, name, slug) values ($1, 'A', 'team-a'), ($2, 'B', 'team-b')`,
    [teamA, teamB],
  );
  await pool.query(
    `insert into users (id, name, email) values ('ann', 'Ann', 'ann@x.test'), ('bob', 'Bob', 'bob@x.test')`,
  );
  await pool.query(
    `insert into tasks (id, team_id, prompt, model) values ($1, $3, 'p', 'claude-sonnet-4-5'), ($2, $4, 'p', 'claude-sonnet-4-5')`,
    [taskA, taskB, teamA, teamB],
  );
  await pool.query(
    `insert into claude_sessions (id, team_id, task_id, backend, model) values ($1, $2, $3, 'claude-code', 'claude-sonnet-4-5')`,
    [sessionA, teamA, taskA],
  );
});

afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

function rec(id: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    providerRequestId: `req_${id}`,
    messageId: `msg_${id}`,
    taskId: taskA,
    teamId: teamA,
    userId: 'ann',
    backend: 'api',
    model: 'claude-sonnet-4-5',
    inputTokens: 100,
    outputTokens: 20,
    cacheWrite5mTokens: 3,
    cacheWrite1hTokens: 4,
    cacheReadTokens: 1000,
    costUsd: '0.0006000001',
    latencyMs: 900,
    ttftMs: 120,
    status: 'ok',
    at: new Date('2026-03-01T12:00:00Z'),
    ...over,
  };
}

const count = async (where = 'true', params: unknown[] = []) =>
  (await pool.query(`select count(*)::int as n from usage_events where ${where}`, params)).rows[0]
    .n as number;

async function pgError(p: Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; constraint?: string };
  }
  throw new Error('expected an error');
}

describe('insertUsage', () => {
  it('writes every field, exactly', async () => {
    expect(await insertUsage(pool, [])).toBe(0);
    const at = new Date('2026-03-01T23:59:59.123Z');
    const n = await insertUsage(pool, [
      rec('f1', {
        sessionId: sessionA,
        backend: 'claude-code',
        provider: 'bedrock',
        costUsd: '1.2345678901',
        status: 'error',
        errorType: 'overloaded_error',
        at,
      }),
      // Strings an array literal must quote: quotes, backslashes, commas, braces, NULL, empty.
      rec('f2', {
        providerRequestId: 'req_"quoted",{x}\\y',
        messageId: '',
        taskId: null,
        userId: null,
        model: 'NULL',
        latencyMs: null,
        ttftMs: null,
        at: undefined,
      }),
    ]);
    expect(n).toBe(2);
    const { rows } = await pool.query(
      `select provider_request_id, message_id, task_id, team_id, user_id, session_id, provider, backend::text,
         model, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
         cost_usd::text, latency_ms, ttft_ms, status::text, error_type, created_at, rolled_up
       from usage_events where provider_request_id in ('req_f1', $1) order by provider_request_id collate "C"`,
      ['req_"quoted",{x}\\y'],
    );
    expect(rows[0]).toEqual({
      provider_request_id: 'req_"quoted",{x}\\y',
      message_id: '',
      task_id: null,
      team_id: teamA,
      user_id: null,
      session_id: null,
      provider: 'anthropic',
      backend: 'api',
      model: 'NULL',
      input_tokens: 100,
      output_tokens: 20,
      cache_write_5m_tokens: 3,
      cache_write_1h_tokens: 4,
      cache_read_tokens: 1000,
      cost_usd: '0.0006000001',
      latency_ms: null,
      ttft_ms: null,
      status: 'ok',
      error_type: null,
      created_at: expect.any(Date),
      rolled_up: false,
    });
    // No timestamp: now.
    expect(Math.abs((rows[0].created_at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(rows[1]).toMatchObject({
      provider_request_id: 'req_f1',
      task_id: taskA,
      session_id: sessionA,
      provider: 'bedrock',
      backend: 'claude-code',
      cost_usd: '1.2345678901',
      status: 'error',
      error_type: 'overloaded_error',
      created_at: at,
    });
  });

  it('inserts each (request, message) once: duplicates within a batch and across batches', async () => {
    const batch = [rec('d1'), rec('d2'), rec('d1', { inputTokens: 999 }), rec('d3'), rec('d2')];
    expect(await insertUsage(pool, batch)).toBe(3);
    // The first occurrence of a duplicate wins.
    const { rows } = await pool.query(
      `select input_tokens from usage_events where provider_request_id = 'req_d1'`,
    );
    expect(rows).toEqual([{ input_tokens: 100 }]);
    expect(await insertUsage(pool, batch)).toBe(0);
    expect(await insertUsage(pool, [rec('d3'), rec('d4'), rec('d4')])).toBe(1);
    // The same request with another message id is another row.
    expect(await insertUsage(pool, [rec('d1', { messageId: 'msg_other' })])).toBe(1);
    expect(await count(`provider_request_id in ('req_d1', 'req_d2', 'req_d3', 'req_d4')`)).toBe(5);
  });

  it('concurrent writers with overlapping batches insert every key once, without deadlocks', async () => {
    // Eight writers, each its own shuffled window over 400 keys (a retried
    // flush replays what another flush also wrote), each in a transaction.
    const shuffle = <T>(a: T[], seed: number) => {
      let s = seed;
      for (let i = a.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const j = s % (i + 1);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    const inserted = await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        let total = 0;
        for (let round = 0; round < 5; round++) {
          const keys = shuffle(
            Array.from({ length: 120 }, (_, k) => (w * 40 + round * 13 + k) % 400),
            w * 31 + round,
          );
          const client = await pool.connect();
          try {
            await client.query('begin');
            total += await insertUsage(
              client,
              keys.map((k) =>
                rec(`c${k}`, { teamId: k % 2 ? teamA : teamB, taskId: k % 2 ? taskA : taskB }),
              ),
            );
            await client.query('commit');
          } catch (err) {
            await client.query('rollback');
            throw err;
          } finally {
            client.release();
          }
        }
        return total;
      }),
    );
    const distinct = await count(`provider_request_id like 'req_c%'`);
    expect(inserted.reduce((a, b) => a + b, 0)).toBe(distinct);
    expect(distinct).toBeGreaterThan(300);
  });

  it('rejects a batch naming an unknown team, task, user or session, as a foreign key would (23503), inserting none of it', async () => {
    const unknown = '00000000-0000-0000-0000-000000000000';
    for (const [over, constraint] of [
      [{ teamId: unknown }, 'usage_events_team_id_teams_id_fk'],
      [{ taskId: unknown }, 'usage_events_task_id_tasks_id_fk'],
      [{ userId: 'nobody' }, 'usage_events_user_id_users_id_fk'],
      [{ sessionId: unknown }, 'usage_events_session_id_claude_sessions_id_fk'],
    ] as const) {
      const err = await pgError(insertUsage(pool, [rec('ok1'), rec('bad', over), rec('ok2')]));
      expect(err.code, constraint).toBe('23503');
      expect(err.constraint).toBe(constraint);
    }
    expect(await count(`provider_request_id in ('req_ok1', 'req_ok2', 'req_bad')`)).toBe(0);
  });

  it('keeps on delete cascade (teams) and set null (tasks, users, sessions)', async () => {
    const team = randomUUID();
    const task = randomUUID();
    const session = randomUUID();
    await pool.query(`insert into teams (id, name, slug) values ($1, 'Gone', 'gone')`, [team]);
    await pool.query(`insert into users (id, name, email) values ('cy', 'Cy', 'cy@x.test')`);
    await pool.query(`insert into tasks (id, team_id, prompt, model) values ($1, $2, 'p', 'm')`, [
      task,
      team,
    ]);
    await pool.query(
      `insert into claude_sessions (id, team_id, backend, model) values ($1, $2, 'claude-code', 'm')`,
      [session, team],
    );
    const mine = { teamId: team, taskId: task, userId: 'cy', sessionId: session };
    expect(
      await insertUsage(pool, [rec('g1', mine), rec('g2', mine), rec('g3', { userId: 'cy' })]),
    ).toBe(3);
    await pool.query('delete from claude_sessions where id = $1', [session]);
    expect(await count('session_id = $1', [session])).toBe(0);
    await pool.query('delete from tasks where id = $1', [task]);
    expect(await count('task_id = $1', [task])).toBe(0);
    expect(await count('team_id = $1', [team])).toBe(2);
    await pool.query(`delete from users where id = 'cy'`);
    expect(await count(`user_id = 'cy'`)).toBe(0);
    expect(
      await count(`provider_request_id = 'req_g3' and user_id is null and team_id = $1`, [teamA]),
    ).toBe(1);
    await pool.query('delete from teams where id = $1', [team]);
    expect(await count('team_id = $1', [team])).toBe(0);
    expect(await count(`provider_request_id = 'req_g3'`)).toBe(1);
  });

  it('an open insert holds its team: a concurrent delete waits; a team deleted first fails the insert', async () => {
    const team = randomUUID();
    await pool.query(`insert into teams (id, name, slug) values ($1, 'Race', 'race')`, [team]);
    const writer = await pool.connect();
    const deleter = await pool.connect();
    try {
      await writer.query('begin');
      expect(await insertUsage(writer, [rec('r1', { teamId: team, taskId: null })])).toBe(1);
      await deleter.query('begin');
      await deleter.query(`set local lock_timeout = '300ms'`);
      const blocked = await pgError(deleter.query('delete from teams where id = $1', [team]));
      expect(blocked.code).toBe('55P03'); // lock_not_available
      await deleter.query('rollback');
      await writer.query('commit');
      // The committed usage goes with its team.
      await pool.query('delete from teams where id = $1', [team]);
      expect(await count(`provider_request_id = 'req_r1'`)).toBe(0);

      // Deleted (not yet committed) first: the insert waits, then finds no team.
      const team2 = randomUUID();
      await pool.query(`insert into teams (id, name, slug) values ($1, 'Race 2', 'race-2')`, [
        team2,
      ]);
      await deleter.query('begin');
      await deleter.query('delete from teams where id = $1', [team2]);
      const late = pgError(insertUsage(pool, [rec('r2', { teamId: team2, taskId: null })]));
      await new Promise((r) => setTimeout(r, 200));
      await deleter.query('commit');
      expect((await late).code).toBe('23503');
      expect(await count(`provider_request_id = 'req_r2'`)).toBe(0);
    } finally {
      writer.release();
      deleter.release();
    }
  });
});
