/**
 * Baton's MCP server over stdio (`baton mcp`): one server for the process, acting as a team's
 * token or as a configured team (its first owner). stdout carries the protocol only; diagnostics
 * go to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import { authenticateMcpToken, type McpPrincipal, teamMcpPrincipal } from '@baton/api';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type McpServerDeps } from './server';

export type StdioIdentity =
  | { token: string; teamSlug?: never }
  | { teamSlug: string; token?: never };

export type StdioOptions = StdioIdentity &
  McpServerDeps & {
    /** Default process.stdin / process.stdout. */
    stdin?: Readable;
    stdout?: Writable;
  };

export interface RunningStdio {
  principal: McpPrincipal;
  server: McpServer;
  /** Resolves when the client closes the stream (or `close` is called). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Thrown when the identity given names no live token or no team: nothing is served. */
export class StdioIdentityError extends Error {
  override readonly name = 'StdioIdentityError';
}

/** Resolves the identity, then serves MCP over the streams until the client closes them. */
export async function runStdio(options: StdioOptions): Promise<RunningStdio> {
  let principal: McpPrincipal | null;
  if (options.token !== undefined) {
    principal = await authenticateMcpToken(options.client.db, options.token);
    if (!principal)
      throw new StdioIdentityError(
        'The MCP token is not a live token: unknown, revoked or expired.',
      );
  } else {
    principal = await teamMcpPrincipal(options.client.db, options.teamSlug);
    if (!principal)
      throw new StdioIdentityError(`No team "${options.teamSlug}" with an owner to act as.`);
  }
  const server = createMcpServer(principal, options);
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  await server.connect(transport);
  return { principal, server, closed, close: () => server.close() };
}
