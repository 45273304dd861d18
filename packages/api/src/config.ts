import { type LoadedConfig, loadConfig } from '@baton/core';
import { apiEnv } from './env';

/**
 * Baton's configuration as the api acts on it (@baton/core's loader, one file for the worker, the
 * CLI and the console: BATON_CONFIG): the default model of a task that names none (`models.default`,
 * or the `claudeCode.model` for a claude-code task) and the `multi_agent` section (whether agents
 * may spawn agents; a new tree's default limits).
 */
export type ApiConfig = Pick<LoadedConfig, 'models' | 'claudeCode' | 'multi_agent'>;

let loaded: { file: string | undefined; config: ApiConfig } | undefined;

/** The instance's configuration, read once per process (a bad key throws ConfigError naming it). */
export function instanceConfig(file: string | undefined = apiEnv.BATON_CONFIG): ApiConfig {
  if (loaded?.file !== file || !loaded) {
    loaded = { file, config: loadConfig({ ...(file ? { file } : {}), env: {} }) };
  }
  return loaded.config;
}

/** The model of a task that names none. */
export function defaultModelFor(config: ApiConfig, backend: 'api' | 'claude-code'): string {
  return (backend === 'claude-code' ? config.claudeCode.model : undefined) ?? config.models.default;
}
