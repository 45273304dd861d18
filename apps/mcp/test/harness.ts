import { randomBytes } from 'node:crypto';
import { type AuthSession, createCaller, createTRPCContext } from '@baton/api';
import { createDb, type DbClient } from '@baton/db/client';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { memberships, type Role, teams, users } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import type {} from '@baton/db/vitest-global-setup';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { inject } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../src/http';

export interface McpHarness {
  tdb: TestDatabase;
  client: DbClient;
  boss: PgBoss;
  http: RunningHttpServer;
  /** Errors the server reported as internal (a test expecting none asserts it is empty). */
  internalErrors: unknown[];
  stop(): Promise<void>;
}

/** A fresh migrated database, a pg-boss to queue with, and the MCP server over HTTP on a free port. */
export async function startMcpHarness(): Promise<McpHarness> {
  const tdb = await createTestDatabase(inject('pgAdminUrl'));
  const client = createDb(tdb.url, { max: 4, applicationName: 'baton-mcp-test' });
  const boss = await createBoss(tdb.url, { supervise: false, max: 2 });
  const internalErrors: unknown[] = [];
  const http = await startHttpServer({
    client,
    databaseUrl: tdb.url,
    boss: async () => boss,
    port: 0,
    onError: (err) => internalErrors.push(err),
    progressIntervalMs: 250,
  });
  return {
    tdb,
    client,
    boss,
    http,
    internalErrors,
    stop: async () => {
      await http.close();
      await boss.stop({ graceful: false });
      await client.close();
      await tdb.drop();
    },
  };
}

/** A user and a team they own (allowed the instance's key), plus an MCP token of that team. */
export async function teamWithToken(
  h: McpHarness,
  slug: string,
  role: Role = 'owner',
): Promise<{ teamId: string; session: AuthSession; token: string; tokenId: string }> {
  const id = `u_${randomBytes(8).toString('hex')}`;
  const session: AuthSession = {
    user: { id, name: `Owner of ${slug}`, email: `${id}@example.test`, image: null },
    session: { id: `s_${id}`, expiresAt: new Date(Date.now() + 3_600_000) },
  };
  await h.client.db
    .insert(users)
    .values({ id, name: session.user.name, email: session.user.email });
  const [team] = await h.client.db
    .insert(teams)
    .values({ name: slug.toUpperCase(), slug, allowInstanceKey: true })
    .returning();
  await h.client.db.insert(memberships).values({ teamId: team!.id, userId: id, role });
  const created = await (await asUser(h, session)).mcpToken.create({
    teamId: team!.id,
    name: `${slug} token`,
  });
  return { teamId: team!.id, session, token: created.token, tokenId: created.id };
}

/** The api as a signed-in user (what the console does). */
export async function asUser(
  h: McpHarness,
  session: AuthSession,
): Promise<ReturnType<typeof createCaller>> {
  return createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.tdb.url,
      session,
      boss: async () => h.boss,
    }),
  );
}

/** An MCP client connected over Streamable HTTP with `token` (none: no Authorization header). */
export async function connectClient(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'baton-mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}
