import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from './logger';
import { type RunningWorker, startWorker } from './worker';

let db: TestDatabase;
let worker: RunningWorker;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { migrate: false });
  worker = await startWorker({
    databaseUrl: db.url,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent' }),
    runner: null,
  });
});

afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

describe('worker', () => {
  it('applies the migrations at start', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: number }>(
        'select count(*)::int as n from drizzle.__drizzle_migrations',
      );
      expect(rows[0]!.n).toBeGreaterThanOrEqual(2);
    } finally {
      await c.end();
    }
  });

  it('answers /healthz with the database connected', async () => {
    const res = await fetch(`${worker.healthUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: { database: { ok: boolean; latencyMs: number } };
    };
    expect(body.status).toBe('ok');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports 503 when the database is unreachable', async () => {
    const broken = await startWorker({
      databaseUrl: 'postgresql://nobody:x@127.0.0.1:1/none',
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      migrate: false,
      runner: null,
    });
    try {
      const res = await fetch(`${broken.healthUrl}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { database: { ok: boolean; error: string } } };
      expect(body.checks.database.ok).toBe(false);
      expect(body.checks.database.error).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await broken.stop();
    }
  });

  it('answers 404 with the list of routes for an unknown path', async () => {
    const res = await fetch(`${worker.healthUrl}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { routes: string[] }).routes).toContain('/healthz');
  });
});
