/**
 * The worker's environment under arbitrary values (fast-check): `env.ts` either loads or
 * throws an `EnvError` (code INVALID_ENV) naming the variables that are wrong — never an Error
 * naming none, never a variable's value (BATON_SECRET, the key) in the message.
 */
import type { EnvError } from '@baton/db';
import { envProperty } from '@baton/db/env-property';
import { describe, expect, it, vi } from 'vitest';

const property = envProperty({
  settings: [
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
    'BATON_MCP_URL',
    'LOG_LEVEL',
  ],
  values: [
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
  ],
  // A few variables at random beside a usable database URL.
  few: { maxKeys: 3, base: { DATABASE_URL: 'postgres://baton@127.0.0.1/baton' } },
  load: () => import('./env'),
});

describe('worker env: arbitrary values load or name the setting', () => {
  it('an EnvError naming each wrong variable, without its value', property.check);

  it('names BATON_SECRET when it is too short, without repeating it', async () => {
    property.set({
      DATABASE_URL: 'postgres://baton@127.0.0.1/baton',
      BATON_SECRET: 'short-secret',
    });
    vi.resetModules();
    const err = await import('./env').then(
      () => null,
      (e: unknown) => e as EnvError,
    );
    expect(err).toMatchObject({ code: 'INVALID_ENV', issues: [{ setting: 'BATON_SECRET' }] });
    expect(err!.message).not.toMatch(/short-secret/);
  });

  it('takes BATON_MCP_URL as an http(s) URL and names it otherwise', async () => {
    property.set({
      DATABASE_URL: 'postgres://baton@127.0.0.1/baton',
      BATON_MCP_URL: 'http://127.0.0.1:4030/mcp',
    });
    vi.resetModules();
    expect((await import('./env')).workerEnv.BATON_MCP_URL).toBe('http://127.0.0.1:4030/mcp');
    for (const bad of ['ftp://127.0.0.1/mcp', 'not a url']) {
      property.set({ DATABASE_URL: 'postgres://baton@127.0.0.1/baton', BATON_MCP_URL: bad });
      vi.resetModules();
      const err = await import('./env').then(
        () => null,
        (e: unknown) => e as EnvError,
      );
      expect(err, bad).toMatchObject({
        code: 'INVALID_ENV',
        issues: [{ setting: 'BATON_MCP_URL' }],
      });
    }
  });
});
