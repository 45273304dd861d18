/**
 * The database package's environment under arbitrary values (fast-check): `env.ts` either
 * loads or throws an `EnvError` (code INVALID_ENV) naming the variables that are wrong, never
 * an Error that names none, and never with a variable's value in the message.
 */
import { describe, expect, it, vi } from 'vitest';
import type { EnvError } from './env';
import { envProperty } from './env-property';

const property = envProperty({
  settings: ['DATABASE_URL', 'BATON_DATA_DIR', 'BATON_EMBEDDED_PG_PORT', 'BATON_TEST_DATABASE_URL'],
  values: [
    'postgres://u:secret-password@h/db',
    'postgresql://h',
    'mysql://h',
    '5432',
    '1023',
    '65536',
    '-1',
    'NaN',
    '1e4',
    ' ',
    '0x1F90',
  ],
  mustLoad: false,
  load: () => import('./env'),
});

describe('db env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', property.check);

  it('names DATABASE_URL when it is not a postgres URL (the default threw "Invalid environment variables")', async () => {
    property.set({ DATABASE_URL: 'mysql://root:hunter2-secret@h/db' });
    vi.resetModules();
    const err = await import('./env').then(
      () => null,
      (e: unknown) => e as EnvError,
    );
    expect(err).toMatchObject({ code: 'INVALID_ENV', issues: [{ setting: 'DATABASE_URL' }] });
    expect(err!.message).toMatch(/DATABASE_URL/);
    expect(err!.message).not.toMatch(/hunter2/);
  });
});
