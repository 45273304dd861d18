/**
 * The database package's environment under arbitrary values (fast-check): `env.ts` either
 * loads or throws an `EnvError` (code INVALID_ENV) naming the variables that are wrong, never
 * an Error that names none, and never with a variable's value in the message.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EnvError } from './env';

const SETTINGS = [
  'DATABASE_URL',
  'BATON_DATA_DIR',
  'BATON_EMBEDDED_PG_PORT',
  'BATON_TEST_DATABASE_URL',
];
const saved = Object.fromEntries(SETTINGS.map((k) => [k, process.env[k]]));
function setEnv(env: Record<string, string | undefined>): void {
  for (const key of SETTINGS) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
}
afterEach(() => setEnv(saved));

/** What an environment variable can hold: any string without NUL (the OS allows none). */
const envValue = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom(
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
    ),
  )
  .filter((s) => !s.includes('\0'));

describe('db env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record(Object.fromEntries(SETTINGS.map((k) => [k, envValue])), { requiredKeys: [] }),
        async (env) => {
          setEnv(env);
          vi.resetModules();
          try {
            await import('./env');
            return;
          } catch (caught) {
            refused++;
            const err = caught as EnvError;
            expect(err).toMatchObject({ name: 'EnvError', code: 'INVALID_ENV' });
            expect(err.issues.length).toBeGreaterThan(0);
            for (const issue of err.issues) {
              expect(SETTINGS).toContain(issue.setting);
              expect(err.message).toContain(issue.setting);
              const given = env[issue.setting]!;
              if (given.trim().length >= 12) expect(err.message).not.toContain(given);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('names DATABASE_URL when it is not a postgres URL (the default threw "Invalid environment variables")', async () => {
    setEnv({ DATABASE_URL: 'mysql://root:hunter2-secret@h/db' });
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
