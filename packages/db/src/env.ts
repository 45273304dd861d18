import { existsSync } from 'node:fs';
import path from 'node:path';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** One environment variable that is missing or malformed (its value is never repeated). */
export interface EnvIssue {
  setting: string;
  message: string;
}

/** The environment is not usable: `issues` names each variable that is wrong and why. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  readonly code = 'INVALID_ENV';
  constructor(readonly issues: EnvIssue[]) {
    super(`invalid environment: ${issues.map((i) => `${i.setting}: ${i.message}`).join('; ')}`);
  }
}

/**
 * `createEnv`'s `onValidationError` for every Baton process: an `EnvError` naming the variables
 * (the default logs them and throws an Error that names none).
 */
export function throwEnvError(
  issues: readonly { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] }[],
): never {
  throw new EnvError(
    issues.map((issue) => {
      const first = issue.path?.[0];
      const key = typeof first === 'object' && first !== null ? first.key : first;
      return { setting: key === undefined ? '(environment)' : String(key), message: issue.message };
    }),
  );
}

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
  onValidationError: throwEnvError,
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
