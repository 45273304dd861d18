import { createTestDatabase } from '@baton/db/testing';
import { describe, expect, inject, it } from 'vitest';
import { cleanEnv, runCli } from './helpers';

describe('baton --help', () => {
  it('lists the commands', async () => {
    const run = runCli(['--help'], cleanEnv());
    expect(await run.exited).toBe(0);
    for (const cmd of ['start', 'db', 'sim', 'worker', 'task', 'repo', 'mcp'])
      expect(run.output()).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it.each([
    ['start'],
    ['db'],
    ['db', 'migrate'],
    ['db', 'status'],
    ['sim'],
    ['worker'],
    ['task', 'submit'],
    ['repo'],
    ['repo', 'add'],
    ['repo', 'list'],
    ['repo', 'remove'],
    ['mcp'],
    ['mcp', 'token', 'create'],
    ['mcp', 'token', 'list'],
    ['mcp', 'token', 'revoke'],
  ])('has --help on %s', async (...cmd) => {
    const run = runCli([...cmd, '--help'], cleanEnv());
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/^Usage: baton /m);
  });

  it('mcp shows how to add it to Claude Code, over stdio and over HTTP with a token', async () => {
    const stdio = runCli(['mcp', '--help'], cleanEnv());
    expect(await stdio.exited).toBe(0);
    expect(stdio.output()).toContain('claude mcp add baton -- pnpm -s baton mcp --team demo');
    const create = runCli(['mcp', 'token', 'create', '--help'], cleanEnv());
    expect(await create.exited).toBe(0);
    expect(create.output()).toContain(
      'claude mcp add --transport http baton http://127.0.0.1:4030/mcp --header "Authorization: Bearer $(pnpm -s baton mcp token create --team demo | tail -1)"',
    );
  });

  it('task submit offers --repo, --ref and --tools, and no longer --cwd', async () => {
    const run = runCli(['task', 'submit', '--help'], cleanEnv());
    expect(await run.exited).toBe(0);
    const help = run.output();
    for (const flag of ['--repo <name>', '--ref <ref>', '--tools <a,b,…>'])
      expect(help).toContain(flag);
    expect(help).not.toContain('--cwd');
    expect(help).toMatch(/error: <field>: <message>/);
  });

  it('repo add says which sources are accepted', async () => {
    const run = runCli(['repo', 'add', '--help'], cleanEnv());
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/BATON_REPOS_DIRS/);
    expect(run.output()).toMatch(/without credentials/);
  });

  it('rejects an unknown command with a clear message', async () => {
    const run = runCli(['frobnicate'], cleanEnv());
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toMatch(/unknown command 'frobnicate'/);
  });

  it('rejects a bad flag value naming the flag', async () => {
    const run = runCli(['sim', '--rpm', 'lots'], cleanEnv());
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/--rpm must be an integer/);
  });
});

describe('baton db', () => {
  it('reports pending migrations, applies them, then reports up to date', async () => {
    const db = await createTestDatabase(inject('pgAdminUrl'), { migrate: false });
    try {
      const env = cleanEnv({ DATABASE_URL: db.url });
      const before = runCli(['db', 'status'], env);
      expect(await before.exited).toBe(0);
      expect(before.output()).toMatch(/pending {2}0000_init/);
      expect(before.output()).not.toContain(new URL(db.url).password || '\u0000');

      const migrate = runCli(['db', 'migrate'], env);
      expect(await migrate.exited).toBe(0);
      expect(migrate.output()).toMatch(/applied 0000_init/);

      const again = runCli(['db', 'migrate'], env);
      expect(await again.exited).toBe(0);
      expect(again.output()).toMatch(/up to date/);

      const status = runCli(['db', 'status', '--json'], env);
      expect(await status.exited).toBe(0);
      const json = JSON.parse(status.output()) as { migrations: { applied: boolean }[] };
      expect(json.migrations.every((m) => m.applied)).toBe(true);
    } finally {
      await db.drop();
    }
  });
});

describe('baton operator', () => {
  it('grants and revokes the operator flag by email, and names an unknown email', async () => {
    const db = await createTestDatabase(inject('pgAdminUrl'));
    try {
      const env = cleanEnv({ DATABASE_URL: db.url });
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(
          `insert into users (id, name, email) values ('u_op', 'Op', 'op@example.test')`,
        );
        const flag = async () =>
          (await c.query<{ f: boolean }>(`select is_operator as f from users where id = 'u_op'`))
            .rows[0]?.f;
        const grant = runCli(['operator', 'grant', 'OP@example.test'], env);
        expect(await grant.exited).toBe(0);
        expect(grant.output()).toMatch(/op@example\.test is now an operator/);
        expect(await flag()).toBe(true);
        const revoke = runCli(['operator', 'revoke', 'op@example.test'], env);
        expect(await revoke.exited).toBe(0);
        expect(await flag()).toBe(false);
        const unknown = runCli(['operator', 'grant', 'nobody@example.test'], env);
        expect(await unknown.exited).toBe(1);
        expect(unknown.output()).toMatch(/No user with the email nobody@example\.test/);
      } finally {
        await c.end();
      }
    } finally {
      await db.drop();
    }
  });
});
