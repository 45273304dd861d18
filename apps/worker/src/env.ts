import { throwEnvError } from '@baton/db/env';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** The worker's environment, validated once at start. */
export const workerEnv = createEnv({
  server: {
    DATABASE_URL: z
      .string({ error: 'DATABASE_URL is required (baton start / baton worker set it for you)' })
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
    WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(4020),
    WORKER_HOST: z.string().default('127.0.0.1'),
    WORKER_ID: z.string().min(1).optional(),
    ANTHROPIC_BASE_URL: z.url().optional(),
    ANTHROPIC_API_KEY: z.string().min(1).optional(),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    /** A worker silent this long has its tasks retried elsewhere (pg-boss heartbeat, ≥ 10). */
    WORKER_HEARTBEAT_SECONDS: z.coerce.number().int().min(10).max(3600).default(15),
    /** How often lapsed jobs are looked for. */
    WORKER_MONITOR_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
    WORKER_RETRY_LIMIT: z.coerce.number().int().min(0).max(20).default(2),
    WORKER_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
    /** SIGTERM waits this long for running tasks before requeueing them. */
    WORKER_DRAIN_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
    /**
     * required (default): claude-code tasks run only inside the bubblewrap sandbox, and are
     * refused when it cannot start; off: unconfined, for a developer's own machine.
     */
    BATON_SANDBOX: z
      .enum(['required', 'off'], 'BATON_SANDBOX must be required or off')
      .default('required'),
    /** Decrypts the teams' own provider keys (the console encrypts them with the same). */
    /**
     * Baton's configuration file (YAML or JSON, @baton/core's loader): the `claudeCode` section
     * (CLI path, sessions at once, default model), `multi_agent`, profiles. The worker's own
     * settings above win over the file's. A bad key fails the start, naming the key.
     */
    BATON_CONFIG: z.string().min(1).optional(),
    BATON_SECRET: z.string().min(32, 'BATON_SECRET must be at least 32 characters long').optional(),
    /**
     * Baton's MCP server (its Streamable HTTP endpoint, e.g. http://127.0.0.1:4030/mcp): a
     * claude-code task with `options.mcp` gets it in its session, through the sandbox's proxy.
     * Unset: such a task fails on this worker.
     */
    BATON_MCP_URL: z
      .url({
        protocol: /^https?$/,
        error: 'BATON_MCP_URL must be the http(s) URL of the MCP endpoint (…/mcp)',
      })
      .optional(),
    /** Task workspaces; default <BATON_DATA_DIR>/workspaces. */
    BATON_WORKSPACES_DIR: z.string().min(1).optional(),
    /** Folders (`:`-separated) local team repositories may come from; default <BATON_DATA_DIR>/repos. */
    BATON_REPOS_DIRS: z.string().min(1).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // An EnvError naming each wrong variable (the default's Error names none).
  onValidationError: throwEnvError,
});

export type WorkerEnv = typeof workerEnv;
