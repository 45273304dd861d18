import { existsSync } from 'node:fs';
import path from 'node:path';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** The environment this package reads, validated once. */
export const dbEnv = createEnv({
  server: {
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
      .optional(),
    BATON_DATA_DIR: z.string().min(1).optional(),
    BATON_EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).optional(),
    BATON_TEST_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'BATON_TEST_DATABASE_URL must be a postgres:// URL')
      .optional(),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

/** The checkout's root (the folder holding pnpm-workspace.yaml), or the current directory. */
export function workspaceRoot(from = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from);
    dir = parent;
  }
}

/** `BATON_DATA_DIR`, resolved against the checkout root; default `<root>/.baton`. */
export function dataDir(): string {
  const configured = dbEnv.BATON_DATA_DIR;
  if (configured) return path.resolve(workspaceRoot(), configured);
  return path.join(workspaceRoot(), '.baton');
}
