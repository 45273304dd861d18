/**
 * The worker's environment under arbitrary values (fast-check): `env.ts` either loads or
 * throws an `EnvError` (code INVALID_ENV) naming the variables that are wrong — never an Error
 * naming none, never a variable's value (BATON_SECRET, the key) in the message.
 */
import type { EnvError } from '@baton/db';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

const SETTINGS = [
  'DATABASE_URL',
  'WORKER_PORT',
  'WORKER_HOST',
  'WORKER_ID',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_API_KEY',
  'WORKER_CONCURRENCY',
  'WORKER_HEARTBEAT_SECONDS',
  'WORKER_MONITOR_SECONDS',
  'WORKER_RETRY_LIMIT',
  'WORKER_RETRY_DELAY_SECONDS',
  'WORKER_DRAIN_SECONDS',
  'BATON_SANDBOX',
  'BATON_SECRET',
  'BATON_WORKSPACES_DIR',
  'BATON_REPOS_DIRS',
  'LOG_LEVEL',
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
      'postgres://baton@127.0.0.1/baton',
      'http://127.0.0.1:4010',
      'not a url',
      'sk-ant-secret-value-0123456789',
      'required',
      'off',
      'debug',
      '0',
      '8',
      '65536',
      '-1',
      'NaN',
      '1e2',
      ' 15 ',
      '0x10',
      'x'.repeat(40),
    ),
  )
  .filter((s) => !s.includes('\0'));

describe('worker env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', async () => {
    let refused = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // Everything at random…
          fc.record(Object.fromEntries(SETTINGS.map((k) => [k, envValue])), { requiredKeys: [] }),
          // …or a few variables at random beside a usable database URL.
          fc
            .dictionary(fc.constantFrom(...SETTINGS), envValue, { maxKeys: 3 })
            .map((env) => ({ DATABASE_URL: 'postgres://baton@127.0.0.1/baton', ...env })),
        ),
        async (env: Record<string, string | undefined>) => {
          setEnv(env);
          vi.resetModules();
          try {
            await import('./env');
            loaded++;
            return;
          } catch (caught) {
            refused++;
            const err = caught as EnvError;
            expect(err, String(caught)).toMatchObject({ name: 'EnvError', code: 'INVALID_ENV' });
            expect(err.issues.length).toBeGreaterThan(0);
            for (const issue of err.issues) {
              expect(SETTINGS).toContain(issue.setting);
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

  it('names BATON_SECRET when it is too short, without repeating it', async () => {
    setEnv({ DATABASE_URL: 'postgres://baton@127.0.0.1/baton', BATON_SECRET: 'short-secret' });
    vi.resetModules();
    const err = await import('./env').then(
      () => null,
      (e: unknown) => e as EnvError,
    );
    expect(err).toMatchObject({ code: 'INVALID_ENV', issues: [{ setting: 'BATON_SECRET' }] });
    expect(err!.message).not.toMatch(/short-secret/);
  });
});
