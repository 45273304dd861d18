/**
 * The property every Baton process's environment holds (fast-check, for each package's
 * `env.property.test.ts`): under arbitrary values its `env.ts` either loads or throws an
 * `EnvError` (code INVALID_ENV) naming only variables that are wrong — never an Error naming
 * none, never a variable's value in the message. One check for every package; each gives its
 * variables, the values worth trying beside arbitrary strings, and how to load its module afresh.
 */
import fc from 'fast-check';
import { afterEach, expect, vi } from 'vitest';
import type { EnvError } from './env';

export interface EnvPropertyOptions {
  /** The variables set at random (all others are left as they are). */
  settings: readonly string[];
  /** Values worth trying beside arbitrary strings (valid ones, near misses, secrets). */
  values: readonly string[];
  /** Imports the package's env module (the check resets the module registry before each). */
  load: () => Promise<unknown>;
  /** Other variables an issue may name: those of a package the module reads the env of too. */
  alsoNamed?: readonly string[];
  /**
   * Beside all of `settings` at random: at most `maxKeys` of them at random, on top of `base`
   * (e.g. a usable DATABASE_URL, so the rest are what is tried).
   */
  few?: { maxKeys: number; base?: Record<string, string> };
  /** Some run must load (default true): the property is not only ever refusing. */
  mustLoad?: boolean;
  numRuns?: number;
}

/** Sets exactly `settings` from `env` (absent: unset); the returned function puts them back. */
export function envSetter(settings: readonly string[]) {
  const saved = Object.fromEntries(settings.map((k) => [k, process.env[k]]));
  const set = (env: Record<string, string | undefined>): void => {
    for (const key of settings) {
      if (env[key] === undefined) delete process.env[key];
      else process.env[key] = env[key];
    }
  };
  return { set, restore: () => set(saved) };
}

/**
 * Registers the property's clean-up (call at the top of the test file); returns the check, and
 * `set` for a test of its own on the same variables.
 */
export function envProperty(o: EnvPropertyOptions): {
  check: () => Promise<void>;
  set: (env: Record<string, string | undefined>) => void;
} {
  const env = envSetter(o.settings);
  afterEach(env.restore);
  /** What an environment variable can hold: any string without NUL (the OS allows none). */
  const envValue = fc
    .oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom(...o.values))
    .filter((s) => !s.includes('\0'));
  const all = fc.record(Object.fromEntries(o.settings.map((k) => [k, envValue])), {
    requiredKeys: [],
  }) as fc.Arbitrary<Record<string, string | undefined>>;
  const few = o.few;
  const arbitrary = few
    ? fc.oneof(
        all,
        fc
          .dictionary(fc.constantFrom(...o.settings), envValue, { maxKeys: few.maxKeys })
          .map((e) => ({ ...few.base, ...e }) as Record<string, string | undefined>),
      )
    : all;
  const named = [...o.settings, ...(o.alsoNamed ?? [])];
  const check = async () => {
    let refused = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (values) => {
        env.set(values);
        vi.resetModules();
        try {
          await o.load();
          loaded++;
        } catch (caught) {
          refused++;
          const err = caught as EnvError;
          expect(err, String(caught)).toMatchObject({ name: 'EnvError', code: 'INVALID_ENV' });
          expect(err.issues.length).toBeGreaterThan(0);
          for (const issue of err.issues) {
            expect(named).toContain(issue.setting);
            expect(err.message).toContain(issue.setting);
            const given = process.env[issue.setting];
            if (given && given.trim().length >= 12) expect(err.message).not.toContain(given);
          }
        }
      }),
      { numRuns: o.numRuns ?? 60 },
    );
    expect(refused).toBeGreaterThan(0);
    if (o.mustLoad !== false) expect(loaded).toBeGreaterThan(0);
  };
  return { check, set: env.set };
}
