/**
 * `pnpm --filter @baton/mcp start`: Baton's MCP server over Streamable HTTP on MCP_HOST:MCP_PORT
 * (default 127.0.0.1:4030) at /mcp, until SIGINT or SIGTERM.
 */
import { createDb } from '@baton/db/client';
import { lazyBoss } from '@baton/db/queue';
import { mcpEnv } from './env';
import { startHttpServer } from './http';

const client = createDb(mcpEnv.DATABASE_URL, { max: 4, applicationName: 'baton-mcp' });
const boss = lazyBoss(mcpEnv.DATABASE_URL, {
  supervise: false,
  max: 2,
  applicationName: 'baton-mcp-queue',
});

const running = await startHttpServer({
  client,
  databaseUrl: mcpEnv.DATABASE_URL,
  boss: boss.get,
  port: mcpEnv.MCP_PORT,
  host: mcpEnv.MCP_HOST,
});
process.stderr.write(`baton-mcp: listening on ${running.url}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running.close();
  await boss.stop({ graceful: true });
  await client.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
