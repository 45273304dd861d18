/**
 * `pnpm --filter @baton/mcp start`: Baton's MCP server over Streamable HTTP on MCP_HOST:MCP_PORT
 * (default 127.0.0.1:4030) at /mcp, until SIGINT or SIGTERM.
 */
import { createDb } from '@baton/db/client';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { mcpEnv } from './env';
import { startHttpServer } from './http';

const client = createDb(mcpEnv.DATABASE_URL, { max: 4, applicationName: 'baton-mcp' });
let boss: Promise<PgBoss> | undefined;
const getBoss = () => {
  boss ??= createBoss(mcpEnv.DATABASE_URL, {
    supervise: false,
    max: 2,
    applicationName: 'baton-mcp-queue',
  }).catch((err: unknown) => {
    boss = undefined;
    throw err;
  });
  return boss;
};

const running = await startHttpServer({
  client,
  databaseUrl: mcpEnv.DATABASE_URL,
  boss: getBoss,
  port: mcpEnv.MCP_PORT,
  host: mcpEnv.MCP_HOST,
});
process.stderr.write(`baton-mcp: listening on ${running.url}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running.close();
  if (boss) await (await boss.catch(() => null))?.stop({ graceful: true });
  await client.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
