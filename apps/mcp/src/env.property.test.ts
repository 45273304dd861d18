/**
 * The MCP server's environment under arbitrary values (fast-check): `env.ts` either loads or
 * throws an `EnvError` (code INVALID_ENV) naming the variables that are wrong — never an Error
 * naming none, never a variable's value in the message.
 */
import type { EnvError } from '@baton/db/env';
import { envProperty } from '@baton/db/env-property';
import { describe, expect, it, vi } from 'vitest';

const property = envProperty({
  settings: ['DATABASE_URL', 'MCP_PORT', 'MCP_HOST'],
  values: [
    'postgres://baton@127.0.0.1/baton',
    'postgresql://u:secret-password@db/baton',
    'mysql://nope',
    '4030',
    '0',
    '65536',
    '-1',
    '1.5',
    'not a port',
    '127.0.0.1',
    '',
  ],
  load: () => import('./env'),
  few: { maxKeys: 2, base: { DATABASE_URL: 'postgres://baton@127.0.0.1/baton' } },
});

describe('mcp env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', property.check);

  it('defaults to 127.0.0.1:4030 and names a port out of range', async () => {
    property.set({ DATABASE_URL: 'postgres://baton@127.0.0.1/baton' });
    vi.resetModules();
    const { mcpEnv } = await import('./env');
    expect([mcpEnv.MCP_HOST, mcpEnv.MCP_PORT]).toEqual(['127.0.0.1', 4030]);

    property.set({ DATABASE_URL: 'postgres://baton@127.0.0.1/baton', MCP_PORT: '70000' });
    vi.resetModules();
    const err = await import('./env').then(
      () => null,
      (e: unknown) => e as EnvError,
    );
    expect(err).toMatchObject({ code: 'INVALID_ENV', issues: [{ setting: 'MCP_PORT' }] });
  });
});
