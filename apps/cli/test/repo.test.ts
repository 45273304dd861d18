/**
 * `baton repo` and `baton task submit --repo/--ref/--tools` against a real database and a real
 * bare repository under BATON_REPOS_DIRS: the same validation (and the same field error text)
 * as tRPC, printed as `error: <field>: <message>` with exit code 2.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CWD_REMOVED_MESSAGE } from '@baton/api';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeBareRepo } from './git';
import { cleanEnv, runCli } from './helpers';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let tmp: string;
let root: string;
let app: { path: string; main: string };
let outside: { path: string; main: string };
let link: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(
    `insert into teams (name, slug, allow_instance_key) values ('Demo', 'demo', true), ('Other', 'other', true)`,
  );
  await c.end();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'baton-cli-repos-'));
  root = path.join(tmp, 'allowed');
  mkdirSync(root);
  app = makeBareRepo(path.join(root, 'app.git'));
  outside = makeBareRepo(path.join(tmp, 'elsewhere', 'secret.git'));
  link = path.join(root, 'sneaky.git');
  symlinkSync(outside.path, link);
  env = cleanEnv({ DATABASE_URL: db.url, BATON_REPOS_DIRS: root });
});

afterAll(async () => {
  await db?.drop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, out: run.output() };
}

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('baton repo add', () => {
  it('refuses bad input with the API’s field error and exit code 2', async () => {
    const add = (name: string, source: string, ...more: string[]) =>
      cli('repo', 'add', '--team', 'demo', '--name', name, '--source', source, ...more);
    const [badName, creds, ssh, relative, outsideRoot, viaLink, badRef] = await Promise.all([
      add('Bad Name', app.path),
      add('creds', 'https://user:secret@git.example.invalid/r.git'),
      add('ssh', 'ssh://git@git.example.invalid/r.git'),
      add('rel', 'allowed/app.git'),
      add('outside', outside.path),
      add('sneaky', link),
      add('noref', app.path, '--ref', 'nope'),
    ]);
    expect(badName).toMatchObject({ code: 2 });
    expect(badName.out).toContain('error: name: Lowercase letters, digits, . _ - (up to 63).');
    expect(creds).toMatchObject({ code: 2 });
    expect(creds.out).toContain(
      'error: source: Credentials in a repository URL are not stored: register a public URL or a local path.',
    );
    expect(creds.out).not.toContain('secret@');
    expect(ssh.out).toContain(
      'error: source: Use an https://, http:// or git:// URL (ssh is not allowed).',
    );
    expect(relative.out).toContain(
      'error: source: A local repository is an absolute path (starting with /).',
    );
    for (const r of [outsideRoot, viaLink]) {
      // The whole result, so that a failure shows what the command printed.
      expect(r).toMatchObject({ code: 2 });
      expect(r.out).toMatch(
        /error: source: .* is outside the folders local repositories may come from/,
      );
    }
    expect(badRef).toMatchObject({ code: 2 });
    expect(badRef.out).toContain('error: defaultRef: No ref "nope" in the repository.');
    expect(await query('select name from team_repositories')).toEqual([]);
  });

  it('registers a local bare repository, then refuses its name again', async () => {
    const added = await cli(
      'repo',
      'add',
      '--team',
      'demo',
      '--name',
      'app',
      '--source',
      `${root}/./app.git`,
      '--ref',
      'main',
    );
    expect(added.code).toBe(0);
    expect(added.out).toContain(
      `added app to demo: ${app.path} (main at ${app.main.slice(0, 12)})`,
    );
    const json = await cli(
      'repo',
      'add',
      '--team',
      'other',
      '--name',
      'app',
      '--source',
      app.path,
      '--json',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      team: 'other',
      name: 'app',
      source: app.path,
      defaultRef: 'HEAD',
      commit: app.main,
    });
    const again = await cli('repo', 'add', '--team', 'demo', '--name', 'app', '--source', app.path);
    expect(again.code).toBe(2);
    expect(again.out).toContain(
      'error: name: A repository named "app" already exists in this team.',
    );
  });

  it('needs --team, --name and --source', async () => {
    const r = await cli('repo', 'add', '--name', 'x', '--source', app.path);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/required option '--team <team>' not specified/);
  });
});

describe('baton repo list', () => {
  it('lists every team’s repositories, or one team’s', async () => {
    const all = await cli('repo', 'list', '--json');
    expect(all.code).toBe(0);
    expect(
      (JSON.parse(all.out) as { team: string; name: string; source: string }[]).map((r) => [
        r.team,
        r.name,
        r.source,
      ]),
    ).toEqual([
      ['demo', 'app', app.path],
      ['other', 'app', app.path],
    ]);
    const demo = await cli('repo', 'list', '--team', 'demo');
    expect(demo.out).toMatch(new RegExp(`^demo\\s+app\\s+main\\s+${app.path}$`, 'm'));
    expect(demo.out).not.toMatch(/^other/m);
    const nope = await cli('repo', 'list', '--team', 'nope');
    expect(nope.code).toBe(1);
    expect(nope.out).toContain('no team "nope" (use its slug or id; teams: demo, other)');
  });
});

describe('baton task submit with a workspace', () => {
  const submit = (...args: string[]) =>
    cli('task', 'submit', 'fix it', '--backend', 'claude-code', ...args);

  it('refuses a free-form path, an unknown repository, a bad ref and a disallowed tool like tRPC', async () => {
    const [cwd, ghost, noRef, badRef, refAlone, tools, onApi, emptyTools] = await Promise.all([
      submit('--cwd', '/root'),
      submit('--repo', 'ghost'),
      submit('--repo', 'app', '--ref', 'nope'),
      submit('--repo', 'app', '--ref', 'main..x'),
      submit('--ref', 'main'),
      submit('--repo', 'app', '--tools', 'Read,WebSearch'),
      cli('task', 'submit', 'x', '--backend', 'api', '--repo', 'app'),
      submit('--tools', ','),
    ]);
    for (const r of [cwd, ghost, noRef, badRef, refAlone, tools, onApi, emptyTools])
      expect(r).toMatchObject({ code: 2 });
    expect(cwd.out).toContain(`error: cwd: ${CWD_REMOVED_MESSAGE}`);
    expect(ghost.out).toContain('error: repository: No repository named "ghost" in this team.');
    expect(noRef.out).toContain('error: ref: No ref "nope" in the repository.');
    expect(badRef.out).toContain('error: ref: "main..x" is not a valid git ref.');
    expect(refAlone.out).toContain(
      'error: ref: A ref needs a repository: name the team repository to check it out from.',
    );
    expect(tools.out).toContain(
      'error: tools: Not allowed for this team: WebSearch. It allows Read, Write, Edit, Glob, Grep, Bash.',
    );
    expect(onApi.out).toContain(
      'error: repository: A repository applies to the claude-code backend only.',
    );
    expect(emptyTools.out).toContain('error: tools: Keep at least one tool.');
    expect(await query('select id from tasks')).toEqual([]);
  });

  it('queues a task on a clone of the repository at a ref, with the narrowed tools', async () => {
    const r = await submit('--repo', 'app', '--ref', 'v1', '--tools', 'Bash, Read', '--json');
    expect(r.code).toBe(0);
    const task = JSON.parse(r.out) as { id: string; status: string; backend: string };
    expect(task).toMatchObject({ status: 'queued', backend: 'claude-code' });
    const [repo] = await query<{ id: string }>(
      `select r.id from team_repositories r join teams t on t.id = r.team_id where t.slug = 'demo'`,
    );
    const [row] = await query<{ options: unknown }>('select options from tasks where id = $1', [
      task.id,
    ]);
    expect(row?.options).toEqual({ repositoryId: repo!.id, ref: 'v1', tools: ['Read', 'Bash'] });
    const plain = await submit('--repo', 'app');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^queued [0-9a-f-]{36} \(team demo\)$/m);
  });
});

describe('baton repo remove', () => {
  it('removes a repository by name; an unknown name is a field error', async () => {
    const gone = await cli('repo', 'remove', '--team', 'demo', '--name', 'app');
    expect(gone.code).toBe(0);
    expect(gone.out).toContain('removed app from demo');
    const again = await cli('repo', 'remove', '--team', 'demo', '--name', 'app');
    expect(again.code).toBe(2);
    expect(again.out).toContain('error: name: No repository named "app" in this team.');
    expect(
      (
        await query<{ team: string }>(
          'select t.slug as team from team_repositories r join teams t on t.id = r.team_id',
        )
      ).map((r) => r.team),
    ).toEqual(['other']);
  });
});
