/** Baton's MCP server over stdio (`baton mcp`), driven by the SDK's client over a pair of pipes. */
import { PassThrough } from 'node:stream';
import { tasks } from '@baton/db/schema';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStdio, runStdio, StdioIdentityError } from '../src/stdio';
import { type McpHarness, startMcpHarness, teamWithToken } from './harness';

/** The client's end of the two pipes: newline-delimited JSON-RPC, as a stdio client speaks it. */
class PipeTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly buffer = new ReadBuffer();
  constructor(
    private readonly input: PassThrough,
    private readonly output: PassThrough,
  ) {}
  async start() {
    this.input.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let m = this.buffer.readMessage(); m; m = this.buffer.readMessage()) this.onmessage?.(m);
    });
  }
  async send(message: JSONRPCMessage) {
    this.output.write(serializeMessage(message));
  }
  async close() {
    this.output.end();
    this.onclose?.();
  }
}

let h: McpHarness;
let team: Awaited<ReturnType<typeof teamWithToken>>;
const running: RunningStdio[] = [];

async function connect(identity: { token: string } | { teamSlug: string }) {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const server = await runStdio({
    ...identity,
    client: h.client,
    databaseUrl: h.tdb.url,
    boss: async () => h.boss,
    stdin: toServer,
    stdout: fromServer,
  });
  running.push(server);
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(new PipeTransport(fromServer, toServer));
  return { server, client };
}

beforeAll(async () => {
  h = await startMcpHarness();
  team = await teamWithToken(h, 'stdio-team');
});

afterAll(async () => {
  for (const r of running) await r.close();
  await h?.stop();
});

describe('runStdio', () => {
  it('serves the tools as a token’s team', async () => {
    const { server, client } = await connect({ token: team.token });
    expect(server.principal).toMatchObject({ teamId: team.teamId, tokenId: team.tokenId });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('spawn_agent');
    const r = (await client.callTool({
      name: 'spawn_agent',
      arguments: { task: 'Over stdio' },
    })) as unknown as { structuredContent: { agent_id: string; status: string } };
    expect(r.structuredContent.status).toBe('queued');
    const [row] = await h.client.db
      .select()
      .from(tasks)
      .where(eq(tasks.id, r.structuredContent.agent_id));
    expect(row).toMatchObject({ teamId: team.teamId, createdBy: team.session.user.id });
    await client.close();
  });

  it('serves a configured team as its owner', async () => {
    const { server, client } = await connect({ teamSlug: 'stdio-team' });
    expect(server.principal).toEqual({
      tokenId: `stdio:${team.teamId}`,
      teamId: team.teamId,
      userId: team.session.user.id,
      rootTaskId: null,
      taskId: null,
    });
    const listed = (await client.callTool({ name: 'list_agents', arguments: {} })) as unknown as {
      structuredContent: { agents: unknown[] };
    };
    expect(listed.structuredContent.agents.length).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('refuses a token that is not live, and a team that does not exist, before serving', async () => {
    const options = { client: h.client, databaseUrl: h.tdb.url, boss: async () => h.boss };
    await expect(
      runStdio({ ...options, token: `baton_mcp_${'y'.repeat(43)}` }),
    ).rejects.toBeInstanceOf(StdioIdentityError);
    await expect(runStdio({ ...options, teamSlug: 'nobody' })).rejects.toThrow(
      'No team "nobody" with an owner to act as.',
    );
  });
});
