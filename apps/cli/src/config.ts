import path from 'node:path';
import { cliEnv } from './env';

/**
 * Baton's configuration file for this run: `--config <file>`, else BATON_CONFIG. The processes
 * the CLI starts (worker, console, MCP server) are given it as BATON_CONFIG, so all of them read
 * the one file; the CLI reads it too, for a task's default model and the multi_agent section.
 */
let file: string | undefined = cliEnv.BATON_CONFIG ? path.resolve(cliEnv.BATON_CONFIG) : undefined;

/** Uses `f` (the `--config` option) and checks it at once: a bad key fails naming it. */
export async function useConfigFile(f: string): Promise<void> {
  file = path.resolve(f);
  // Children inherit it (start, worker): one file for every process of this Baton.
  process.env.BATON_CONFIG = file;
  await cliConfig();
}

/** The configuration as the api acts on it (read once; ConfigError names a bad key). */
export async function cliConfig() {
  const { instanceConfig } = await import('@baton/api');
  return instanceConfig(file);
}
