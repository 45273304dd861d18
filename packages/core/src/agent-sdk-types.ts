/*
 * The agent SDK's option types that @baton/core's public types use, restated so that the
 * published declarations import nothing from the SDK: it is an optional peer, and an API-only
 * install (without it) must type-check under `skipLibCheck: false`. `optional-deps.ts` checks
 * them against the SDK's own, so the build fails if those change.
 */

/** Claude Code's permission modes (the agent SDK's `PermissionMode`). */
export type PermissionMode =
  | 'default'
  | 'acceptEdits'
  | 'bypassPermissions'
  | 'plan'
  | 'dontAsk'
  | 'auto';

/**
 * An MCP server Claude Code connects to (the agent SDK's `McpServerConfig`): a process, an SSE or
 * HTTP endpoint, or an in-process server made by the SDK's `createSdkMcpServer`. Further options
 * of the SDK's pass through unchanged.
 */
export type McpServerConfig =
  | {
      type?: 'stdio';
      command: string;
      args?: string[];
      env?: Record<string, string>;
      [option: string]: unknown;
    }
  | {
      type: 'sse' | 'http';
      url: string;
      headers?: Record<string, string>;
      [option: string]: unknown;
    }
  | { type: 'sdk'; name: string; instance: unknown; [option: string]: unknown };
