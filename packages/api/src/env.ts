import { existsSync } from 'node:fs';
import path from 'node:path';
import { throwEnvError } from '@baton/db/env';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

const absoluteList = z
  .string()
  .min(1)
  .refine(
    (v) =>
      v
        .split(':')
        .filter(Boolean)
        .every((d) => path.isAbsolute(d)),
    'BATON_REPOS_DIRS lists absolute folders separated by ":" (the workers read the same list, from their own working directory)',
  );

/** The environment this package reads, validated once. */
export const apiEnv = createEnv({
  server: {
    /** Folders (`:`-separated, absolute) local team repositories may come from; default <BATON_DATA_DIR>/repos. */
    BATON_REPOS_DIRS: absoluteList.optional(),
    /** Read only for the default of BATON_REPOS_DIRS (the database package owns it). */
    BATON_DATA_DIR: z.string().min(1).optional(),
    /** The provider's API (a saved key is checked against it); the simulator's URL on embedded defaults. */
    ANTHROPIC_BASE_URL: z
      .url('ANTHROPIC_BASE_URL is a URL, e.g. https://api.anthropic.com')
      .refine((v) => /^https?:\/\//.test(v), 'ANTHROPIC_BASE_URL starts with http:// or https://')
      .default('https://api.anthropic.com'),
    /** The instance's provider key (the console lists the provider's models with it); never sent to the browser. */
    ANTHROPIC_API_KEY: z.string().min(1).optional(),
    /** `simulator` when ANTHROPIC_BASE_URL is Baton's simulator (`baton start` sets it): the console says so. */
    BATON_PROVIDER: z.enum(['anthropic', 'simulator']).default('anthropic'),
    /** Baton's configuration file (YAML or JSON; see config.ts): default models, `multi_agent`. */
    BATON_CONFIG: z.string().min(1).optional(),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // An EnvError naming each wrong variable (the default's Error names none).
  onValidationError: throwEnvError,
});

export type ApiEnv = Pick<typeof apiEnv, 'BATON_REPOS_DIRS' | 'BATON_DATA_DIR'>;

/**
 * `<BATON_DATA_DIR>/repos`, the data directory resolved the way @baton/db's `dataDir()` does
 * (against the checkout root; default `<root>/.baton`). Restated here because @baton/db's root
 * entry also loads the embedded server, which the console's bundler cannot trace.
 */
function defaultReposDir(env: ApiEnv, from: string): string {
  let root = path.resolve(from);
  for (let dir = root; ; ) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
      root = dir;
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const data = env.BATON_DATA_DIR
    ? path.resolve(root, env.BATON_DATA_DIR)
    : path.join(root, '.baton');
  return path.join(data, 'repos');
}

/**
 * The folders local team repositories may come from (`BATON_REPOS_DIRS`, default
 * `<BATON_DATA_DIR>/repos`). Tests pass their own `env` instead of changing `process.env`.
 */
export function repositoryRoots(env: ApiEnv = apiEnv, from = process.cwd()): string[] {
  if (!env.BATON_REPOS_DIRS) return [defaultReposDir(env, from)];
  return env.BATON_REPOS_DIRS.split(':')
    .filter(Boolean)
    .map((d) => path.resolve(d));
}
