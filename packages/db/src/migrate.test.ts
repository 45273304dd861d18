import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrationStatus, repeatableStatus, repeatablesFolder, runMigrations } from './migrate';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { migrate: false });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function pgError(
  sql: string,
  params: unknown[] = [],
): Promise<{ code?: string; constraint?: string }> {
  try {
    await client.query(sql, params);
  } catch (err) {
    return err as { code?: string; constraint?: string };
  }
  throw new Error(`expected the statement to fail: ${sql}`);
}

describe('migrations', () => {
  it('apply every migration to an empty database, then nothing the second time', async () => {
    const before = await migrationStatus(db.url);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.every((m) => !m.applied)).toBe(true);

    const first = await runMigrations(db.url);
    expect(first.applied).toEqual(before.map((m) => m.tag));
    expect(first.repeatable).toEqual([
      'references.sql',
      'rollup.sql',
      'spend.sql',
      'task_lifecycle.sql',
    ]);

    const second = await runMigrations(db.url);
    expect(second.applied).toEqual([]);
    expect(second.repeatable).toEqual([]);

    const after = await migrationStatus(db.url);
    expect(after.every((m) => m.applied)).toBe(true);
  });

  it('re-apply a repeatable definition when, and only when, its file changes', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'baton-repeatable-'));
    try {
      cpSync(repeatablesFolder, folder, { recursive: true });
      expect((await runMigrations(db.url, { repeatables: folder })).repeatable).toEqual([]);
      expect(await repeatableStatus(db.url, folder)).toEqual([
        { name: 'references.sql', state: 'applied' },
        { name: 'rollup.sql', state: 'applied' },
        { name: 'spend.sql', state: 'applied' },
        { name: 'task_lifecycle.sql', state: 'applied' },
      ]);
      // A changed definition: the function in the database becomes the file's.
      const file = path.join(folder, 'task_lifecycle.sql');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace("outcome := 'missing';", "outcome := 'missing'; -- v2"),
      );
      writeFileSync(
        path.join(folder, 'zz_probe.sql'),
        'CREATE OR REPLACE FUNCTION baton_probe() RETURNS int LANGUAGE sql AS $$ SELECT 42 $$;',
      );
      expect((await repeatableStatus(db.url, folder)).map((r) => r.state)).toEqual([
        'applied',
        'applied',
        'applied',
        'changed',
        'pending',
      ]);
      const r = await runMigrations(db.url, { repeatables: folder });
      expect(r.repeatable).toEqual(['task_lifecycle.sql', 'zz_probe.sql']);
      const def = await client.query<{ d: string }>(
        `select pg_get_functiondef('baton_task_start'::regproc) as d`,
      );
      expect(def.rows[0]!.d).toContain('-- v2');
      expect((await client.query('select baton_probe() as v')).rows[0].v).toBe(42);
      // A broken one fails the run with its name and changes nothing.
      writeFileSync(path.join(folder, 'zz_probe.sql'), 'CREATE OR REPLACE FUNCTION nope(');
      await expect(runMigrations(db.url, { repeatables: folder })).rejects.toThrow(/zz_probe\.sql/);
      // Back to the committed definitions.
      expect((await runMigrations(db.url)).repeatable).toEqual(['task_lifecycle.sql']);
      await client.query('drop function baton_probe()');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('are safe to run from several processes at once', async () => {
    const results = await Promise.all([
      runMigrations(db.url),
      runMigrations(db.url),
      runMigrations(db.url),
    ]);
    expect(results.flatMap((r) => r.applied)).toEqual([]);
  });

  it('seed the default price table', async () => {
    const { rows } = await client.query<{ model_pattern: string; input: string; output: string }>(
      `select model_pattern, input_per_mtok::text as input, output_per_mtok::text as output from prices order by model_pattern`,
    );
    const byPattern = Object.fromEntries(
      rows.map((r) => [r.model_pattern, [Number(r.input), Number(r.output)]]),
    );
    expect(byPattern['claude-opus-5*']).toEqual([5, 25]);
    expect(byPattern['claude-sonnet-4*']).toEqual([3, 15]);
    expect(byPattern['claude-sonnet-5*']).toEqual([2, 10]);
    expect(byPattern['claude-haiku-4-5*']).toEqual([1, 5]);
  });
});

describe('constraints', () => {
  let teamId: string;

  beforeAll(async () => {
    await runMigrations(db.url);
    const team = await client.query<{ id: string }>(
      `insert into teams (name, slug) values ('Core', 'core') returning id`,
    );
    teamId = team.rows[0]!.id;
  });

  it('keep one usage row per (provider request id, message id)', async () => {
    const insert = `insert into usage_events (provider_request_id, message_id, team_id, model, input_tokens, output_tokens, cost_usd)
      values ($1, $2, $3, 'claude-sonnet-4-5', 100, 20, 0.0006) on conflict (provider_request_id, message_id) do nothing`;
    const a = await client.query(insert, ['req_1', 'msg_1', teamId]);
    const b = await client.query(insert, ['req_1', 'msg_1', teamId]);
    const c = await client.query(insert, ['req_1', 'msg_2', teamId]);
    expect([a.rowCount, b.rowCount, c.rowCount]).toEqual([1, 0, 1]);

    const err = await pgError(
      `insert into usage_events (provider_request_id, message_id, team_id, model) values ('req_1', 'msg_1', $1, 'x')`,
      [teamId],
    );
    expect(err.code).toBe('23505');
    expect(err.constraint).toBe('usage_events_request_message_key');
  });

  it('store cost as exact numeric', async () => {
    await client.query(
      `insert into usage_events (provider_request_id, message_id, team_id, model, cost_usd) values
       ('req_n1', 'm', $1, 'x', 0.1), ('req_n2', 'm', $1, 'x', 0.2)`,
      [teamId],
    );
    const { rows } = await client.query<{ total: string }>(
      `select sum(cost_usd)::text as total from usage_events where provider_request_id in ('req_n1', 'req_n2')`,
    );
    expect(rows[0]!.total).toBe('0.3000000000');
  });

  it('enforce foreign keys', async () => {
    const err = await pgError(
      `insert into tasks (team_id, prompt, model) values ('00000000-0000-0000-0000-000000000000', 'hi', 'claude-sonnet-4-5')`,
    );
    expect(err.code).toBe('23503');
    const err2 = await pgError(
      `insert into memberships (team_id, user_id, role) values ($1, 'no-such-user', 'member')`,
      [teamId],
    );
    expect(err2.code).toBe('23503');
  });

  it('restrict task status, role and backend to their enums', async () => {
    const bad = await pgError(
      `insert into tasks (team_id, prompt, model, status) values ($1, 'hi', 'm', 'exploded')`,
      [teamId],
    );
    expect(bad.code).toBe('22P02');
    const badBackend = await pgError(
      `insert into tasks (team_id, prompt, model, backend) values ($1, 'hi', 'm', 'gpt')`,
      [teamId],
    );
    expect(badBackend.code).toBe('22P02');
    const ok = await client.query<{ status: string; backend: string }>(
      `insert into tasks (team_id, prompt, model) values ($1, 'hi', 'claude-sonnet-4-5') returning status, backend`,
      [teamId],
    );
    expect(ok.rows[0]).toEqual({ status: 'queued', backend: 'api' });
  });

  it('order task events uniquely per task', async () => {
    const task = await client.query<{ id: string }>(
      `insert into tasks (team_id, prompt, model) values ($1, 'hi', 'm') returning id`,
      [teamId],
    );
    const id = task.rows[0]!.id;
    await client.query(
      `insert into task_events (task_id, seq, type) values ($1, 1, 'started'), ($1, 2, 'text')`,
      [id],
    );
    const err = await pgError(
      `insert into task_events (task_id, seq, type) values ($1, 2, 'dup')`,
      [id],
    );
    expect(err.code).toBe('23505');
  });

  it('reject empty prompts, bad slugs and negative token counts', async () => {
    expect(
      (await pgError(`insert into tasks (team_id, prompt, model) values ($1, '', 'm')`, [teamId]))
        .code,
    ).toBe('23514');
    expect((await pgError(`insert into teams (name, slug) values ('X', 'Not A Slug')`)).code).toBe(
      '23514',
    );
    expect(
      (
        await pgError(
          `insert into usage_events (provider_request_id, team_id, model, input_tokens) values ('r-neg', $1, 'm', -1)`,
          [teamId],
        )
      ).code,
    ).toBe('23514');
  });
});
