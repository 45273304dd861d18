/**
 * The CLI's environment under arbitrary values (fast-check): `env.ts` either loads or throws an
 * `EnvError` (code INVALID_ENV) naming the variables that are wrong, never an Error naming none,
 * never a variable's value in the message.
 */
import type { EnvError } from '@baton/db';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

const SETTINGS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'BATON_SECRET',
  'BATON_WEB_PORT',
  'BATON_WORKER_PORT',
  'BATON_SIM_PORT',
  'BATON_VERBOSE',
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
    ),
  )
  .filter((s) => !s.includes('\0'));

describe('CLI env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', async () => {
    let refused = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(Object.fromEntries(SETTINGS.map((k) => [k, envValue])), { requiredKeys: [] }),
          fc.dictionary(fc.constantFrom(...SETTINGS), envValue, { maxKeys: 1 }),
        ),
        async (env: Record<string, string | undefined>) => {
          setEnv(env);
          vi.resetModules();
          try {
            await import('./env');
            loaded++;
          } catch (caught) {
            refused++;
            const err = caught as EnvError;
            expect(err, String(caught)).toMatchObject({ name: 'EnvError', code: 'INVALID_ENV' });
            expect(err.issues.length).toBeGreaterThan(0);
            for (const issue of err.issues) {
              expect([
                ...SETTINGS,
                'DATABASE_URL',
                'BATON_DATA_DIR',
                'BATON_EMBEDDED_PG_PORT',
                'BATON_TEST_DATABASE_URL',
              ]).toContain(issue.setting);
              expect(err.message).toContain(issue.setting);
              const given = process.env[issue.setting];
              if (given && given.trim().length >= 12) expect(err.message).not.toContain(given);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  });
});
