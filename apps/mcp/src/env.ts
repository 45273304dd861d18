import { throwEnvError } from '@baton/db/env';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** The MCP server's environment, validated once at start. */
export const mcpEnv = createEnv({
  server: {
    DATABASE_URL: z
      .string({ error: 'DATABASE_URL is required (baton start / baton mcp set it for you)' })
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
    /** Streamable HTTP: the port of `/mcp` (0: any free port). */
    MCP_PORT: z.coerce
      .number('MCP_PORT must be a port number')
      .int('MCP_PORT must be a whole number')
      .min(0, 'MCP_PORT must be 0 to 65535')
      .max(65535, 'MCP_PORT must be 0 to 65535')
      .default(4030),
    /** The address to listen on (default: this machine only). */
    MCP_HOST: z.string().min(1).default('127.0.0.1'),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // An EnvError naming each wrong variable (the default's Error names none).
  onValidationError: throwEnvError,
});

export type McpEnv = typeof mcpEnv;
