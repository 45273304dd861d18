export { type McpEnv, mcpEnv } from './env';
export {
  type HttpServerOptions,
  MAX_BODY_BYTES,
  MCP_PATH,
  type RunningHttpServer,
  startHttpServer,
} from './http';
export {
  createMcpServer,
  explainError,
  type McpServerDeps,
  TRANSCRIPT_URI_TEMPLATE,
  WAIT_PROGRESS_INTERVAL_MS,
} from './server';
export {
  type RunningStdio,
  runStdio,
  type StdioIdentity,
  StdioIdentityError,
  type StdioOptions,
} from './stdio';
