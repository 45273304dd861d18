/**
 * The configuration loader under arbitrary input (fast-check): any configuration object, any
 * file content and any environment either loads, or is refused with a `ConfigError` whose
 * issues name the setting — never a TypeError or another error of its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type LoadConfigOptions, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-core-config-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SETTINGS = [
  'defaultProvider',
  'providers',
  'models',
  'profiles',
  'pool',
  'breaker',
  'context',
  'claudeCode',
  'prices',
];

const nasty = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withNullPrototype: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withBoxedValues: true,
  }),
  fc.constantFrom(Number.NaN, -1, 0, 1e308, '', '\u0000', '__proto__', [], {}, null),
);

/** A configuration shaped like the real one, with any value anywhere. */
const shaped = fc.record(
  {
    defaultProvider: fc.oneof(fc.constantFrom('anthropic', 'other'), nasty),
    providers: fc.oneof(
      fc.dictionary(
        fc.constantFrom('anthropic', 'other', '__proto__', 'constructor'),
        fc.record(
          {
            baseURL: fc.oneof(fc.webUrl(), nasty),
            apiKeyEnv: fc.oneof(fc.constantFrom('MY_KEY', 'bad name'), nasty),
            headers: fc.oneof(fc.dictionary(fc.string(), fc.string()), nasty),
            timeoutMs: fc.oneof(fc.integer(), nasty),
            retries: fc.oneof(
              fc.dictionary(
                fc.constantFrom('RateLimit', 'Overloaded', 'Nope'),
                fc.record(
                  { attempts: fc.oneof(fc.integer(), nasty), jitter: nasty },
                  { requiredKeys: [] },
                ),
              ),
              nasty,
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      nasty,
    ),
    models: fc.oneof(
      fc.record(
        { default: nasty, fallback: fc.oneof(fc.array(nasty), nasty) },
        { requiredKeys: [] },
      ),
      nasty,
    ),
    profiles: fc.oneof(
      fc.dictionary(
        fc.string({ maxLength: 8 }),
        fc.record(
          {
            backend: nasty,
            model: fc.oneof(fc.string(), nasty),
            provider: nasty,
            maxTokens: nasty,
          },
          { requiredKeys: [] },
        ),
      ),
      nasty,
    ),
    pool: fc.oneof(fc.record({ maxSessions: nasty, maxIdle: nasty }, { requiredKeys: [] }), nasty),
    context: fc.oneof(
      fc.record(
        { threshold: fc.oneof(fc.double(), nasty), target: fc.double() },
        { requiredKeys: [] },
      ),
      nasty,
    ),
    prices: fc.oneof(fc.array(fc.dictionary(fc.string({ maxLength: 10 }), nasty)), nasty),
  },
  { requiredKeys: [] },
);

const env = fc.record(
  {
    BATON_MODEL: fc.oneof(fc.string(), fc.constant('')),
    BATON_FALLBACK_MODELS: fc.string(),
    BATON_MAX_SESSIONS: fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.constantFrom('NaN', '1e3', '-1', ' 2 '),
    ),
    ANTHROPIC_BASE_URL: fc.string(),
    ANTHROPIC_API_KEY: fc.string(),
  },
  { requiredKeys: [] },
);

function checkLoad(options: LoadConfigOptions): void {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(options);
  } catch (err) {
    expect(err, String((err as Error)?.stack)).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path.length).toBeGreaterThan(0);
      expect(issue.message.length).toBeGreaterThan(0);
      const setting = issue.path.split(/[.\s]/)[0]!;
      expect([...SETTINGS, '(root)', '(file)', 'BATON_MAX_SESSIONS']).toContain(setting);
    }
    return;
  }
  // Loaded: the default provider resolves.
  expect(loaded.provider().name).toBe(loaded.defaultProvider);
}

describe('loadConfig never crashes on what it is given', () => {
  it('arbitrary configuration objects and environments', () => {
    fc.assert(
      fc.property(fc.oneof(shaped, nasty), env, (config, e) =>
        checkLoad({ config: config as LoadConfigOptions['config'], env: e }),
      ),
      { numRuns: 400 },
    );
  });

  it('arbitrary file content (YAML, JSON, bytes)', () => {
    const file = join(dir, 'baton.yaml');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          // As JSON (what JSON cannot hold — a BigInt — as an empty file).
          shaped.map((c) => {
            try {
              return JSON.stringify(c) ?? '';
            } catch {
              return '';
            }
          }),
          fc.constantFrom(
            'providers: [',
            '- 1\n- 2',
            'pool: &a { maxSessions: *a }',
            '!!binary AAAA',
            'models: !!set { a, b }',
            'a: &x [*x, *x, *x]',
            '\u0000',
          ),
        ),
        env,
        (text, e) => {
          writeFileSync(file, text);
          checkLoad({ file, env: e });
        },
      ),
      { numRuns: 300 },
    );
  });
});
