import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded';
import { dbEnv } from './env';
import { runMigrations } from './migrate';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the test PostgreSQL server's maintenance database (see vitest-global-setup.ts). */
    pgAdminUrl: string;
  }
}

/**
 * Test support: one PostgreSQL server per test run, one fresh database per
 * test file. `BATON_TEST_DATABASE_URL` (a URL to a server where we may CREATE
 * DATABASE, e.g. the machine's postgres) is used when set; otherwise an
 * embedded server is started in a temporary directory.
 */
export interface TestPostgres {
  adminUrl: string;
  source: 'external' | 'embedded';
  stop(): Promise<void>;
}

export async function startTestPostgres(
  options: { settings?: Record<string, string> } = {},
): Promise<TestPostgres> {
  const external = dbEnv.BATON_TEST_DATABASE_URL;
  if (external) return { adminUrl: external, source: 'external', stop: async () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-test-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir: dir,
    ephemeral: true,
    ...(options.settings ? { settings: options.settings } : {}),
  });
  return {
    adminUrl: server.adminUrl,
    source: 'embedded',
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Creates an empty database (migrated unless `migrate: false`) on the test server. */
export async function createTestDatabase(
  adminUrl: string,
  options: { migrate?: boolean; prefix?: string } = {},
): Promise<TestDatabase> {
  const name = `${options.prefix ?? 'baton_test'}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  if (options.migrate !== false) await runMigrations(url);
  return {
    url,
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        // A pool's end() resolves before its connections have closed on the
        // server; force-dropping then terminates them (57P01), which a client
        // still shutting down reports as an uncaught error. Give connections
        // that are going away a few seconds; force only what is left.
        for (let i = 0; i < 50; i++) {
          const { rows } = await c.query<{ n: number }>(
            'select count(*)::int as n from pg_stat_activity where datname = $1',
            [name],
          );
          if (rows[0]?.n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
