import { throwEnvError } from '@baton/db/env';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** What the CLI reads from the environment (the database package validates its own). */
export const cliEnv = createEnv({
  server: {
    ANTHROPIC_API_KEY: z.string().min(1).optional(),
    ANTHROPIC_BASE_URL: z.url().optional(),
    BATON_SECRET: z.string().min(32, 'BATON_SECRET must be at least 32 characters long').optional(),
    BATON_WEB_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    BATON_WORKER_PORT: z.coerce.number().int().min(1).max(65535).default(4020),
    BATON_SIM_PORT: z.coerce.number().int().min(1).max(65535).default(4010),
    /** `baton start`: the MCP server's Streamable HTTP port (`/mcp`). */
    BATON_MCP_PORT: z.coerce.number().int().min(1).max(65535).default(4030),
    /** `baton mcp`: serve stdio as this team token (instead of `--team`). */
    BATON_MCP_TOKEN: z.string().min(1).optional(),
    NO_COLOR: z.string().optional(),
    BATON_VERBOSE: z.enum(['0', '1']).optional(),
    /** Baton's configuration file (also `--config`; see config.ts). */
    BATON_CONFIG: z.string().min(1).optional(),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // An EnvError naming each wrong variable (the default's Error names none).
  onValidationError: throwEnvError,
});
