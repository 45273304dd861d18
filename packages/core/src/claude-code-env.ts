/**
 * The environment of a Claude Code process is built, never inherited: an allow-list of harmless
 * variables from this process, the provider's URL and key, and switches Baton sets. Secrets and
 * `CLAUDE_CODE_*` / `ANTHROPIC_*` settings of the host never leak in.
 */

/** Variables copied from the parent process when present. */
export const ENV_ALLOW_LIST: readonly string[] = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TERM',
  'USER',
  'LOGNAME',
  'SHELL',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
];

export interface ClaudeCodeEnvOptions {
  /** `ANTHROPIC_BASE_URL` (the provider or the simulator). */
  baseURL?: string | undefined;
  /** `ANTHROPIC_API_KEY`. */
  apiKey?: string | undefined;
  /** HOME of the process: Claude Code keeps its config and transcripts under it. */
  home: string;
  /** Extra variables set deliberately by the caller (they win over everything else). */
  extra?: Record<string, string> | undefined;
  /** The environment to copy allow-listed variables from. Default `process.env`. */
  parent?: NodeJS.ProcessEnv;
  /** Replaces the allow-list. */
  allow?: readonly string[];
}

export function buildClaudeCodeEnv(o: ClaudeCodeEnvOptions): Record<string, string> {
  const parent = o.parent ?? process.env;
  const env: Record<string, string> = {};
  for (const k of o.allow ?? ENV_ALLOW_LIST) {
    const v = parent[k];
    if (v !== undefined && v !== '') env[k] = v;
  }
  env.HOME = o.home;
  if (o.baseURL) env.ANTHROPIC_BASE_URL = o.baseURL;
  if (o.apiKey) env.ANTHROPIC_API_KEY = o.apiKey;
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  env.DISABLE_AUTOUPDATER = '1';
  env.CLAUDE_AGENT_SDK_CLIENT_APP = 'baton-core/0.1.0';
  if (o.extra) Object.assign(env, o.extra);
  return env;
}
