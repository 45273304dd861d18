/**
 * `baton mcp token create|list|revoke` and `baton mcp` (stdio) against a real database, with the
 * MCP SDK's own clients: a created token authenticates against Baton's MCP server over HTTP
 * (started here with @baton/mcp's startHttpServer), its use is listed, a revoked one is refused
 * with 401; the stdio server spawned as the CLI lists the tools and spawns a task of its team.
 */

import path from 'node:path';
import { createDb, type DbClient } from '@baton/db';
import { mcpTokenPrefix, MCP_TOKEN_SHAPE as TOKEN_SHAPE } from '@baton/db/mcp-tokens';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import type { RunningHttpServer } from '@baton/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, cliMain, runCli } from './helpers';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let c: pg.Client;
let client: DbClient;
let boss: PgBoss;
let http: RunningHttpServer;
const teamIds: Record<string, string> = {};

const TOOLS = [
  'agent_status',
  'cancel_agent',
  'get_result',
  'list_agents',
  'send_input',
  'spawn_agent',
  'wait_agent',
];

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const { rows } = await c.query<{ id: string; slug: string }>(
    `insert into teams (name, slug, allow_instance_key) values ('Alpha', 'alpha', true), ('Beta', 'beta', true), ('Ownerless', 'ownerless', true) returning id, slug`,
  );
  for (const r of rows) teamIds[r.slug] = r.id;
  await c.query(
    `insert into users (id, name, email) values ('u_ada', 'Ada', 'ada@example.test'), ('u_bob', 'Bob', 'bob@example.test')`,
  );
  await c.query(
    `insert into memberships (team_id, user_id, role) values ($1, 'u_ada', 'owner'), ($2, 'u_bob', 'owner')`,
    [teamIds.alpha, teamIds.beta],
  );
  env = cleanEnv({ DATABASE_URL: db.url, ANTHROPIC_API_KEY: 'sk-baton-test' });
  client = createDb(db.url, { max: 4, applicationName: 'baton-cli-mcp-test' });
  boss = await createBoss(db.url, { supervise: false, max: 2 });
  // @baton/mcp validates its environment (DATABASE_URL) when loaded, as `baton mcp` loads it.
  process.env.DATABASE_URL = db.url;
  const { startHttpServer } = await import('@baton/mcp');
  http = await startHttpServer({
    client,
    databaseUrl: db.url,
    boss: async () => boss,
    port: 0,
  });
}, 120_000);

afterAll(async () => {
  await http?.close();
  await boss?.stop({ graceful: false });
  await client?.close();
  await c?.end();
  await db?.drop();
});

async function cli(...args: string[]) {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, out: run.output(), stdout: run.stdout() };
}

async function connect(token: string): Promise<Client> {
  const mcp = new Client({ name: 'baton-cli-test', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(http.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return mcp;
}

interface ListedToken {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

async function listJson(team: string): Promise<ListedToken[]> {
  const r = await cli('mcp', 'token', 'list', '--team', team, '--json');
  expect(r.code, r.out).toBe(0);
  return JSON.parse(r.stdout) as ListedToken[];
}

describe('baton mcp token', () => {
  it('creates a token printed alone on the last line; it authenticates, its use is listed, revoked it is refused with 401', async () => {
    const created = await cli('mcp', 'token', 'create', '--team', 'alpha', '--name', 'laptop');
    expect(created.code, created.out).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const token = lines.at(-1)!;
    expect(token).toMatch(TOKEN_SHAPE);
    // What it is and how to use it, above the token.
    expect(lines[0]).toMatch(
      /^Created the MCP token "laptop" of team alpha \(id [0-9a-f-]{36}, prefix /,
    );
    expect(created.stdout).toContain('Authorization: Bearer');
    // Stored hashed: the token itself is nowhere in the database.
    const stored = await c.query(
      `select count(*)::int as n from mcp_tokens where token_hash = $1 or prefix = $1`,
      [token],
    );
    expect(stored.rows[0].n).toBe(0);

    const before = await listJson('alpha');
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({
      name: 'laptop',
      prefix: mcpTokenPrefix(token),
      last_used_at: null,
      revoked_at: null,
    });
    const table = await cli('mcp', 'token', 'list', '--team', 'alpha');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +NAME +PREFIX +CREATED +LAST USED +REVOKED$/);
    expect(table.stdout).toMatch(new RegExp(`laptop +${before[0]!.prefix} +\\S+Z +never +-`));

    // The token lists the tools over HTTP.
    const mcp = await connect(token);
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(TOOLS));
    await mcp.close();

    const after = await listJson('alpha');
    expect(after[0]!.last_used_at).not.toBeNull();
    expect(Date.parse(after[0]!.last_used_at!)).toBeGreaterThanOrEqual(
      Date.parse(after[0]!.created_at),
    );
    const used = await cli('mcp', 'token', 'list', '--team', 'alpha');
    expect(used.stdout).toContain(after[0]!.last_used_at!);
    expect(used.stdout).not.toMatch(/ never /);

    // Another team sees none of alpha's tokens, and cannot revoke them.
    expect(await listJson('beta')).toEqual([]);
    const foreign = await cli('mcp', 'token', 'revoke', before[0]!.prefix, '--team', 'beta');
    expect(foreign.code).toBe(2);
    expect(foreign.out.trim()).toBe(
      `error: <id-or-prefix>: No token "${before[0]!.prefix}" in team beta.`,
    );

    const revoked = await cli('mcp', 'token', 'revoke', before[0]!.prefix, '--team', 'alpha');
    expect(revoked.code, revoked.out).toBe(0);
    expect(revoked.stdout.trim()).toBe(
      `revoked the token "laptop" (${before[0]!.prefix}) of team alpha: its next request is refused`,
    );
    await expect(connect(token)).rejects.toThrow();
    const res = await fetch(http.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const listed = await listJson('alpha');
    expect(listed[0]!.revoked_at).not.toBeNull();
    const again = await cli('mcp', 'token', 'revoke', listed[0]!.id, '--team', 'alpha');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`was already revoked at ${listed[0]!.revoked_at}`);
  });

  it('--json prints {id, name, prefix, token}', async () => {
    const r = await cli('mcp', 'token', 'create', '--team', 'beta', '--name', 'ci', '--json');
    expect(r.code, r.out).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(j).sort()).toEqual(['id', 'name', 'prefix', 'token']);
    expect(j.token).toMatch(TOKEN_SHAPE);
    expect(j.name).toBe('ci');
    expect(j.token!.startsWith(`baton_mcp_${j.prefix}`)).toBe(true);
    const mcp = await connect(j.token!);
    await mcp.close();
  });

  it('refuses bad input naming the option, creating nothing', async () => {
    const count = async () =>
      (await c.query(`select count(*)::int as n from mcp_tokens`)).rows[0].n as number;
    const n = await count();
    const cases: Array<[string[], string]> = [
      [
        ['--team', 'nope'],
        'error: --team: no team "nope" (use its slug or id; teams: alpha, beta, ownerless)',
      ],
      [['--team', 'alpha', '--name', '   '], 'error: --name: Name the token.'],
      [
        ['--team', 'alpha', '--name', 'x'.repeat(101)],
        'error: --name: Keep the name to 100 characters.',
      ],
      [
        ['--team', 'ownerless'],
        'error: --team: The team ownerless has no owner to act as: add one in the console first.',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli('mcp', 'token', 'create', ...args);
      expect(r.out.trim(), args.join(' ')).toBe(message);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const longest = await cli(
      'mcp',
      'token',
      'create',
      '--team',
      'alpha',
      '--name',
      'y'.repeat(100),
    );
    expect(longest.code, longest.out).toBe(0);
    expect(await count()).toBe(n + 1);
    const unknown = await cli('mcp', 'token', 'revoke', 'zzzzzzzz', '--team', 'alpha');
    expect(unknown.code).toBe(2);
    expect(unknown.out.trim()).toBe('error: <id-or-prefix>: No token "zzzzzzzz" in team alpha.');
  });
});

describe('baton mcp (stdio)', () => {
  async function stdioClient(
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
    command: { command: string; args: string[]; cwd?: string } = {
      command: process.execPath,
      args: ['--import', 'tsx', cliMain, 'mcp'],
    },
  ) {
    const transport = new StdioClientTransport({
      command: command.command,
      args: [...command.args, ...args],
      cwd: command.cwd,
      env: { ...(env as Record<string, string>), ...(extraEnv as Record<string, string>) },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const mcp = new Client({ name: 'baton-cli-stdio-test', version: '1.0.0' });
    // A line on stdout that is not JSON-RPC (a log, pnpm's banner) is an error the client reports.
    const protocolErrors: Error[] = [];
    mcp.onerror = (err) => protocolErrors.push(err);
    await mcp.connect(transport).catch((err: Error) => {
      throw new Error(`${err.message}; stderr:\n${stderr}`);
    });
    return { mcp, stderr: () => stderr, protocolErrors };
  }

  it('serves the tools as --team; spawn_agent queues a task of that team', async () => {
    const { mcp, stderr, protocolErrors } = await stdioClient(['--team', 'beta']);
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(TOOLS));
    const r = (await mcp.callTool({
      name: 'spawn_agent',
      arguments: { task: 'Count the files in src/', role: 'scout' },
    })) as { isError?: boolean; structuredContent?: { agent_id: string; status: string } };
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect(r.structuredContent?.status).toBe('queued');
    const { rows } = await c.query(`select team_id, status, created_by from tasks where id = $1`, [
      r.structuredContent!.agent_id,
    ]);
    expect(rows).toEqual([{ team_id: teamIds.beta, status: 'queued', created_by: 'u_bob' }]);
    await mcp.close();
    expect(protocolErrors).toEqual([]);
    // Diagnostics went to stderr (stdout is the protocol, which the client parsed throughout).
    expect(stderr()).toContain('serving team beta on stdio');
  });

  it('runs as the help and the README show it: pnpm -s baton mcp --team <slug>', async () => {
    const { mcp, stderr, protocolErrors } = await stdioClient(
      ['--team', 'alpha'],
      {},
      {
        command: 'pnpm',
        args: ['-s', 'baton', 'mcp'],
        cwd: path.join(import.meta.dirname, '../../..'),
      },
    );
    expect((await mcp.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(TOOLS));
    await mcp.close();
    expect(protocolErrors).toEqual([]);
    expect(stderr()).toContain('serving team alpha on stdio');
  });

  it('serves as a token (BATON_MCP_TOKEN); refuses an unknown team or a dead token', async () => {
    const created = await cli('mcp', 'token', 'create', '--team', 'alpha', '--name', 'stdio');
    const token = created.stdout.trimEnd().split('\n').at(-1)!;
    const { mcp } = await stdioClient([], { BATON_MCP_TOKEN: token });
    const r = (await mcp.callTool({ name: 'spawn_agent', arguments: { task: 'Hello' } })) as {
      structuredContent?: { agent_id: string };
    };
    const { rows } = await c.query(`select team_id from tasks where id = $1`, [
      r.structuredContent!.agent_id,
    ]);
    expect(rows).toEqual([{ team_id: teamIds.alpha }]);
    await mcp.close();

    const unknown = await cli('mcp', '--team', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('error: --team: no team "nope"');
    expect(unknown.stdout).toBe('');
    const dead = await cli('mcp', '--token', `baton_mcp_${'A'.repeat(43)}`);
    expect(dead.code).toBe(2);
    expect(dead.out.trim()).toBe(
      'error: --token: The MCP token is not a live token: unknown, revoked or expired.',
    );
    const both = await cli('mcp', '--team', 'alpha', '--token', token);
    expect(both.code).toBe(2);
    expect(both.out.trim()).toBe('error: --token: Use either --team or --token, not both.');
  });
});
