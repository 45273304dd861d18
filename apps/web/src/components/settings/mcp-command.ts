/** The port `baton start` serves Baton's MCP server on (Streamable HTTP at /mcp). */
export const MCP_PORT = 4030;

/** The one line that gives Claude Code this server with a token. */
export function claudeMcpAddCommand(host: string, token: string): string {
  return `claude mcp add --transport http baton http://${host}:${MCP_PORT}/mcp --header "Authorization: Bearer ${token}"`;
}
