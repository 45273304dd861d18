import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, runCli } from './helpers';

// `baton budget` and `baton operator team` against a real database (no worker: what is
// queued stays queued), and `baton task submit` refused by a reached cap or a missing key.
let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let c: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(
    `insert into teams (name, slug, allow_instance_key) values ('Alpha', 'alpha', true), ('Barred', 'barred', false)`,
  );
  await c.query(
    `insert into users (id, name, email) values ('u_ada', 'Ada', 'ada@example.test'), ('u_bob', 'Bob', 'bob@example.test')`,
  );
  await c.query(
    `insert into memberships (team_id, user_id, role) select id, 'u_ada', 'member' from teams where slug = 'alpha'`,
  );
  env = cleanEnv({ DATABASE_URL: db.url });
}, 120_000);
afterAll(async () => {
  await c?.end();
  await db?.drop();
});

async function cli(...args: string[]) {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, out: run.output() };
}

describe('baton budget', () => {
  it('sets a ceiling, refuses a cap above it naming it, and shows caps as JSON', async () => {
    const ceiling = await cli(
      'budget',
      'set',
      '--team',
      'alpha',
      '--period',
      'daily',
      '--usd',
      '10',
      '--ceiling',
    );
    expect(ceiling.out).toMatch(
      /daily cap of alpha \(the operator's ceiling\): \$10\.00 \(\$0\.00 spent, 0%; resets at \d{4}-\d\d-\d\dT00:00:00Z\)/,
    );
    expect(ceiling.code).toBe(0);

    const above = await cli('budget', 'set', '--team', 'alpha', '--period', 'daily', '--usd', '12');
    expect(above.out.trim()).toBe(
      "error: --usd: Above the operator's daily ceiling for this team ($10.00): use $10.00 or less.",
    );
    expect(above.code).toBe(2);

    const bad = await cli(
      'budget',
      'set',
      '--team',
      'alpha',
      '--period',
      'yearly',
      '--usd',
      'lots',
    );
    expect(bad.out).toContain('error: --period: Choose daily, weekly or monthly.');
    expect(bad.out).toContain(
      'error: --usd: Use an amount in USD with at most 4 decimals, e.g. 12.50.',
    );
    expect(bad.code).toBe(2);
    const noTeam = await cli('budget', 'set', '--period', 'daily', '--usd', '1');
    expect(noTeam.out.trim()).toBe(
      'error: --team: Choose the team (its slug or id), or --instance for a cap on every team.',
    );
    const stranger = await cli(
      'budget',
      'set',
      '--team',
      'alpha',
      '--user',
      'bob@example.test',
      '--period',
      'daily',
      '--usd',
      '1',
    );
    expect(stranger.out.trim()).toBe('error: --user: Not a member of this team.');
    const nobody = await cli(
      'budget',
      'set',
      '--team',
      'alpha',
      '--user',
      'zed@example.test',
      '--period',
      'daily',
      '--usd',
      '1',
    );
    expect(nobody.out.trim()).toBe(
      'error: --user: There is no account with the email zed@example.test.',
    );

    const user = await cli(
      'budget',
      'set',
      '--team',
      'alpha',
      '--user',
      'ADA@example.test',
      '--period',
      'daily',
      '--usd',
      '0.5',
    );
    expect(user.code).toBe(0);
    const instance = await cli(
      'budget',
      'set',
      '--instance',
      '--period',
      'monthly',
      '--usd',
      '100',
    );
    expect(instance.code).toBe(0);

    // Ada spent $0.30 today in alpha.
    await c.query(
      `insert into usage_events (provider_request_id, team_id, user_id, model, cost_usd)
       select 'req_cli_1', id, 'u_ada', 'claude-sonnet-4-5', 0.3 from teams where slug = 'alpha'`,
    );
    const show = await cli('budget', 'show', '--team', 'alpha', '--json');
    expect(show.code).toBe(0);
    const now = new Date();
    const tomorrow = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
    ).toISOString();
    const nextMonth = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1),
    ).toISOString();
    expect(JSON.parse(show.out)).toEqual([
      {
        scope: 'instance',
        team: null,
        user: null,
        period: 'monthly',
        usd: '100.00',
        spent_usd: '0.30',
        resets_at: nextMonth,
        ceiling: false,
      },
      {
        scope: 'team',
        team: 'alpha',
        user: null,
        period: 'daily',
        usd: '10.00',
        spent_usd: '0.30',
        resets_at: tomorrow,
        ceiling: true,
      },
      {
        scope: 'user',
        team: 'alpha',
        user: 'ada@example.test',
        period: 'daily',
        usd: '0.50',
        spent_usd: '0.30',
        resets_at: tomorrow,
        ceiling: false,
      },
    ]);
    const text = await cli('budget', 'show');
    expect(text.out).toMatch(/^SCOPE\s+TEAM\s+USER\s+PERIOD\s+CAP\s+SPENT\s+USED\s+RESETS$/m);
    expect(text.out).toMatch(
      /^user\s+alpha\s+ada@example\.test\s+daily\s+\$0\.50\s+\$0\.30\s+60%/m,
    );
  });

  it('task submit shows the reached cap’s sentence (exit 3) and the no-key refusal (exit 2)', async () => {
    // The team spent $0.30 (Ada) + $0.25 (no user) = $0.55 today; the CLI submits as no user,
    // so the team's daily cap of $0.40 (under the $10 ceiling) is the reached one.
    await c.query(
      `insert into usage_events (provider_request_id, team_id, model, cost_usd)
       select 'req_cli_2', id, 'claude-sonnet-4-5', 0.25 from teams where slug = 'alpha'`,
    );
    const cap = await cli('budget', 'set', '--team', 'alpha', '--period', 'daily', '--usd', '0.4');
    expect(cap.code).toBe(0);
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
      .toISOString()
      .replace('.000Z', 'Z');
    const refused = await cli('task', 'submit', 'hello', '--team', 'alpha');
    expect(refused.out.trim()).toBe(
      `error: The team's daily cap of $0.40 is reached ($0.5500 spent); it resets at ${reset}`,
    );
    expect(refused.code).toBe(3);
    const { rows } = await c.query(`select count(*)::int as n from tasks`);
    expect(rows[0].n).toBe(0);

    const removed = await cli('budget', 'remove', '--team', 'alpha', '--period', 'daily');
    expect(removed.out.trim()).toBe('removed the daily cap of alpha');
    const again = await cli('budget', 'remove', '--team', 'alpha', '--period', 'daily');
    expect(again.out.trim()).toBe('error: --period: There is no daily team cap to remove.');
    expect(again.code).toBe(2);
    expect((await cli('task', 'submit', 'hello', '--team', 'alpha', '--json')).code).toBe(0);

    const barred = await cli('task', 'submit', 'hello', '--team', 'barred');
    expect(barred.out.trim()).toBe(
      "error: This team has no provider key of its own and may not use the instance's: a team admin adds an Anthropic API key in Settings → Credentials, or an instance operator allows this team to use the instance key.",
    );
    expect(barred.code).toBe(2);
  });
});

describe('baton operator team', () => {
  it('shows and changes a team’s key permission, share weight and concurrency ceiling', async () => {
    const shown = await cli('operator', 'team', 'barred', '--json');
    expect(JSON.parse(shown.out)).toMatchObject({ slug: 'barred', allowInstanceKey: false });
    const set = await cli(
      'operator',
      'team',
      'barred',
      '--allow-instance-key',
      '--share-weight',
      '4',
      '--max-concurrent',
      '2',
    );
    expect(set.out.trim()).toBe(
      'barred: may use the instance key; share weight 4; concurrency 2 (ceiling 2)',
    );
    const { rows } = await c.query(
      `select allow_instance_key, share_weight, max_concurrent_ceiling, max_concurrent_tasks from teams where slug = 'barred'`,
    );
    expect(rows[0]).toEqual({
      allow_instance_key: true,
      share_weight: 4,
      max_concurrent_ceiling: 2,
      max_concurrent_tasks: 2,
    });
    const bad = await cli(
      'operator',
      'team',
      'barred',
      '--share-weight',
      '0',
      '--max-concurrent',
      'many',
    );
    expect(bad.out).toContain('error: --share-weight: A share weight is at least 1.');
    expect(bad.out).toContain('error: --max-concurrent: Enter a number of tasks from 1 to 1000.');
    expect(bad.code).toBe(2);
    const off = await cli('operator', 'team', 'barred', '--no-allow-instance-key');
    expect(off.out.trim()).toBe(
      'barred: needs a key of its own; share weight 4; concurrency 2 (ceiling 2)',
    );
  });
});
