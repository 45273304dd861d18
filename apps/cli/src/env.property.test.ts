/**
 * The CLI's environment under arbitrary values (fast-check): `env.ts` either loads or throws an
 * `EnvError` (code INVALID_ENV) naming the variables that are wrong, never an Error naming none,
 * never a variable's value in the message.
 */
import { envProperty } from '@baton/db/env-property';
import { describe, it } from 'vitest';

const property = envProperty({
  settings: [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'BATON_SECRET',
    'BATON_WEB_PORT',
    'BATON_WORKER_PORT',
    'BATON_SIM_PORT',
    'BATON_MCP_PORT',
    'BATON_MCP_TOKEN',
    'BATON_VERBOSE',
  ],
  values: [
    'http://127.0.0.1:4010',
    'ftp://x',
    'not a url',
    '/abs/a:/abs/b',
    'rel/dir',
    'simulator',
    '1',
    '3000',
    '70000',
    '-1',
    'NaN',
    'sk-ant-secret-value-0123456789',
    'x'.repeat(40),
  ],
  // The database package's variables: the CLI reads its env too.
  alsoNamed: [
    'DATABASE_URL',
    'BATON_DATA_DIR',
    'BATON_EMBEDDED_PG_PORT',
    'BATON_TEST_DATABASE_URL',
  ],
  few: { maxKeys: 1 },
  load: () => import('./env'),
});

describe('CLI env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', property.check);
});
