/**
 * Baton's MCP server over real HTTP with the MCP SDK's own client, against real PostgreSQL and
 * pg-boss (no worker: spawned agents stay queued unless cancelled).
 */
import { request } from 'node:http';
import { tasks } from '@baton/db/schema';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, connectClient, type McpHarness, startMcpHarness, teamWithToken } from './harness';

let h: McpHarness;
let teamA: Awaited<ReturnType<typeof teamWithToken>>;
let teamB: Awaited<ReturnType<typeof teamWithToken>>;
let a: Client;
let b: Client;

const TOOLS = [
  'agent_status',
  'cancel_agent',
  'coordinate_agents',
  'get_result',
  'list_agents',
  'send_input',
  'spawn_agent',
  'wait_agent',
];

interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

function textOf(r: ToolResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}

async function spawn(client: Client, task: string): Promise<string> {
  const r = await call(client, 'spawn_agent', { task });
  expect(r.isError, textOf(r)).toBeFalsy();
  return r.structuredContent!.agent_id as string;
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(h.http.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const INITIALIZE = (protocolVersion: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

beforeAll(async () => {
  h = await startMcpHarness();
  teamA = await teamWithToken(h, 'mcp-a');
  teamB = await teamWithToken(h, 'mcp-b');
  a = await connectClient(h.http.url, teamA.token);
  b = await connectClient(h.http.url, teamB.token);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await h?.stop();
});

describe('tools', () => {
  it('lists the tools with input and output schemas', async () => {
    const { tools } = await a.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const spawnTool = tools.find((t) => t.name === 'spawn_agent')!;
    expect(spawnTool.inputSchema.required).toEqual(['task']);
    expect(Object.keys(spawnTool.inputSchema.properties ?? {}).sort()).toEqual(
      ['backend', 'budget_usd', 'model', 'parent_id', 'role', 'task'].sort(),
    );
    expect(spawnTool.outputSchema?.properties).toHaveProperty('agent_id');
    const wait = tools.find((t) => t.name === 'wait_agent')!;
    expect(wait.inputSchema.properties).toMatchObject({
      agent_ids: { type: 'array', minItems: 1, maxItems: 50 },
      timeout_ms: { type: 'integer', maximum: 600_000 },
    });
    for (const t of tools) expect(t.outputSchema, t.name).toBeDefined();
  });

  it('spawn_agent queues a task of the token’s team, created by the token’s creator', async () => {
    const r = await call(a, 'spawn_agent', { task: 'Count the files', role: 'counter' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: 'queued', depth: 0 });
    const agentId = r.structuredContent!.agent_id as string;
    expect(JSON.parse(textOf(r))).toEqual(r.structuredContent);
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, agentId));
    expect(row).toMatchObject({
      teamId: teamA.teamId,
      createdBy: teamA.session.user.id,
      prompt: 'Count the files',
      role: 'counter',
      status: 'queued',
    });

    const status = await call(a, 'agent_status', { agent_id: agentId });
    expect(status.structuredContent).toMatchObject({
      agent_id: agentId,
      role: 'counter',
      status: 'queued',
      cost_usd: 0,
      proof: { session_id: null, request_ids: [] },
    });
    const result = await call(a, 'get_result', { agent_id: agentId });
    expect(result.structuredContent).toMatchObject({ status: 'queued', result: null, cost_usd: 0 });
    const listed = await call(a, 'list_agents', {});
    expect(
      (listed.structuredContent!.agents as { agent_id: string }[]).map((x) => x.agent_id),
    ).toContain(agentId);
  });

  it('coordinate_agents queues a whole run: a coordinator root and its tree, with the budget', async () => {
    const r = await call(a, 'coordinate_agents', {
      goal: 'Pick a name for the release.',
      strategy: 'mesh',
      agents: [
        { role: 'poet', instructions: 'Suggest names.' },
        { role: 'editor', instructions: 'Judge the names.' },
      ],
      budget_usd: 0.5,
      max_rounds: 3,
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({
      status: 'queued',
      strategy: 'mesh',
      max_rounds: 3,
    });
    const rootId = r.structuredContent!.root_id as string;
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, rootId));
    expect(row).toMatchObject({ teamId: teamA.teamId, role: 'coordinator', rootTaskId: rootId });
    const { rows } = await h.client.pool.query(
      `select strategy, budget_usd::float8 as budget, max_rounds from task_trees where root_task_id = $1`,
      [rootId],
    );
    expect(rows[0]).toEqual({ strategy: 'mesh', budget: 0.5, max_rounds: 3 });
    // A malformed run is a tool error naming what is wrong.
    const bad = await call(a, 'coordinate_agents', {
      goal: 'x',
      strategy: 'swarm',
      agents: [],
      budget_usd: 1,
    });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/strategy|agents/);
  });

  it('send_input gives a queued agent a message', async () => {
    const agentId = await spawn(a, 'Listen');
    const r = await call(a, 'send_input', { agent_id: agentId, message: 'Also count FIXMEs.' });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ agent_id: agentId, status: 'queued' });
    const inputs = await h.client.pool.query<{ message: string; created_by: string }>(
      'select message, created_by from task_inputs where task_id = $1',
      [agentId],
    );
    expect(inputs.rows).toEqual([
      { message: 'Also count FIXMEs.', created_by: teamA.session.user.id },
    ]);
    const empty = await call(a, 'send_input', { agent_id: agentId, message: '' });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toMatch(/message/);
  });

  it('wait_agent with a short timeout returns the queued agent, timed out', async () => {
    const agentId = await spawn(a, 'Never picked up');
    const started = Date.now();
    const r = await call(a, 'wait_agent', { agent_ids: [agentId], timeout_ms: 300 });
    const elapsed = Date.now() - started;
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({
      agents: [{ agent_id: agentId, status: 'queued', status_reason: null }],
      timed_out: true,
    });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  it('cancel_agent cancels; wait_agent sends progress as agents change', async () => {
    const first = await spawn(a, 'First');
    const second = await spawn(a, 'Second');
    const progress: { progress: number; message?: string }[] = [];
    const waiting = a.callTool(
      { name: 'wait_agent', arguments: { agent_ids: [first, second], timeout_ms: 3000 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    ) as Promise<ToolResult>;
    await new Promise((r) => setTimeout(r, 400));
    const cancelled = await call(a, 'cancel_agent', { agent_id: first });
    expect(cancelled.structuredContent).toEqual({ agent_id: first, cancelled: 1 });
    const r = await waiting;
    expect(r.isError, textOf(r)).toBeFalsy();
    const agents = r.structuredContent!.agents as { agent_id: string; status: string }[];
    expect(agents.map((x) => [x.agent_id, x.status])).toEqual([
      [first, 'cancelled'],
      [second, 'queued'],
    ]);
    expect(r.structuredContent!.timed_out).toBe(true);
    // The change, among the heartbeats; progress counts up by one.
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    const change = progress.find((p) => p.message?.startsWith('1 of 2 done:'));
    expect(change?.message).toBe(`1 of 2 done: ${first} cancelled, ${second} queued`);
    // Later heartbeats carry the latest state.
    expect(progress.at(-1)!.message).toMatch(/^1 of 2 done: .*; waiting \(\d+ s\)$/);
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, first));
    expect(row!.status).toBe('cancelled');
  });

  it('wait_agent sends a progress heartbeat while nothing changes', async () => {
    const agentId = await spawn(a, 'Quiet');
    const progress: { progress: number; message?: string }[] = [];
    const r = (await a.callTool(
      { name: 'wait_agent', arguments: { agent_ids: [agentId], timeout_ms: 1200 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as ToolResult;
    expect(r.structuredContent!.timed_out).toBe(true);
    // The harness's server beats every 250 ms: 4 beats in 1.2 s, give or take one.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    expect(progress[0]!.message).toMatch(/^0 of 1 done; waiting \(\d+ s\)$/);
    // Without a progressToken, none.
    const quiet: unknown[] = [];
    a.fallbackNotificationHandler = async (n) => {
      quiet.push(n);
    };
    await call(a, 'wait_agent', { agent_ids: [agentId], timeout_ms: 600 });
    expect(quiet).toEqual([]);
  });

  it('a malformed input is a tool error naming the field, not a protocol error', async () => {
    const empty = await call(a, 'spawn_agent', { task: '' });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toMatch(/task/);
    expect(textOf(empty)).toContain('Give the agent a task.');

    const tooLong = await call(a, 'wait_agent', {
      agent_ids: ['7b0c7f55-7c43-4a4f-9d77-4a8f2b0a1c11'],
      timeout_ms: 600_001,
    });
    expect(tooLong.isError).toBe(true);
    expect(textOf(tooLong)).toMatch(/timeout_ms/);

    const notUuid = await call(a, 'agent_status', { agent_id: 'nope' });
    expect(notUuid.isError).toBe(true);
    expect(textOf(notUuid)).toMatch(/agent_id/);
    // The connection is still fine.
    expect((await a.listTools()).tools).toHaveLength(TOOLS.length);
    expect(h.internalErrors).toEqual([]);
  });

  it('a token of team B cannot see or touch team A’s agent', async () => {
    const agentId = await spawn(a, 'Team A only');
    for (const [tool, args] of [
      ['agent_status', { agent_id: agentId }],
      ['get_result', { agent_id: agentId }],
      ['cancel_agent', { agent_id: agentId }],
      ['send_input', { agent_id: agentId, message: 'hello' }],
      ['wait_agent', { agent_ids: [agentId], timeout_ms: 100 }],
    ] as const) {
      const r = await call(b, tool, args);
      expect(r.isError, tool).toBe(true);
      expect(textOf(r), tool).toMatch(/not found/i);
    }
    const listed = await call(b, 'list_agents', {});
    expect(
      (listed.structuredContent!.agents as { agent_id: string }[]).map((x) => x.agent_id),
    ).not.toContain(agentId);
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, agentId));
    expect(row!.status).toBe('queued');
    expect(h.internalErrors).toEqual([]);
  });
});

describe('transcript resources', () => {
  it('reads a task’s transcript through the api, for its own team only', async () => {
    const agentId = await spawn(a, 'Transcribe me');
    const uri = `baton://tasks/${agentId}/transcript`;
    const { resourceTemplates } = await a.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['baton://tasks/{id}/transcript']);
    const listed = await a.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(uri);

    const read = await a.readResource({ uri });
    const body = JSON.parse((read.contents[0] as { text: string }).text);
    expect(body.agent).toMatchObject({ agent_id: agentId, status: 'queued' });
    expect(body.events).toEqual([]);

    await expect(b.readResource({ uri })).rejects.toThrow(/not found/i);
    expect((await b.listResources()).resources.map((r) => r.uri)).not.toContain(uri);
  });
});

describe('authentication', () => {
  it('refuses a missing token with 401, WWW-Authenticate and a JSON error', async () => {
    const res = await post(INITIALIZE('2025-11-25'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="baton-mcp"');
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    await expect(connectClient(h.http.url)).rejects.toThrow();
  });

  it('refuses a wrong token, never echoing it', async () => {
    const wrong = `baton_mcp_${'x'.repeat(43)}`;
    const res = await post(INITIALIZE('2025-11-25'), { authorization: `Bearer ${wrong}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_token' });
    expect(text).not.toContain(wrong);
    await expect(connectClient(h.http.url, wrong)).rejects.toThrow();
    const junk = await post(INITIALIZE('2025-11-25'), { authorization: 'Basic abc' });
    expect(junk.status).toBe(401);
  });

  it('refuses a revoked token at once', async () => {
    const team = await teamWithToken(h, 'mcp-revoked');
    const client = await connectClient(h.http.url, team.token);
    expect((await client.listTools()).tools).toHaveLength(TOOLS.length);
    await (await asUser(h, team.session)).mcpToken.revoke({
      teamId: team.teamId,
      tokenId: team.tokenId,
    });
    await expect(client.listTools()).rejects.toThrow();
    await expect(connectClient(h.http.url, team.token)).rejects.toThrow();
    await client.close();
  });

  it('negotiates 2025-11-25, the protocol version Claude Code’s client asks for', async () => {
    const res = await post(INITIALIZE('2025-11-25'), { authorization: `Bearer ${teamA.token}` });
    expect(res.status).toBe(200);
    const text = await res.text();
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    const message = data.length > 0 ? data[0] : JSON.parse(text);
    expect(message.result.protocolVersion).toBe('2025-11-25');
    expect(message.result.serverInfo.name).toBe('baton');
    expect(message.result.capabilities).toHaveProperty('tools');
  });
});

describe('the HTTP server', () => {
  it('answers /healthz without a token', async () => {
    const res = await fetch(new URL('/healthz', h.http.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: { ok: true } });
  });

  it('refuses a body over the limit with 413 and bad JSON with a parse error', async () => {
    const auth = { authorization: `Bearer ${teamA.token}` };
    const huge = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(1024 * 1024) } },
      auth,
    );
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'payload_too_large' });
    // Without a Content-Length (chunked), the limit holds as the body arrives.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(h.http.url, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      // The server closes the connection after its answer: a write error then is expected.
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      const piece = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 1.5 * 1024 * 1024) {
          sent += piece.length;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: 'payload_too_large' });
    const bad = await post('{not json', auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('GET /mcp is refused with 405 (stateless: no server stream), after authentication', async () => {
    const unauthenticated = await fetch(h.http.url, { headers: { accept: 'text/event-stream' } });
    expect(unauthenticated.status).toBe(401);
    const res = await fetch(h.http.url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${teamA.token}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
