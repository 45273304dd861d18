import { migrationStatus } from '@baton/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeUser, setupHarness } from './harness';

describe('system.health', () => {
  let migrated: Harness;
  let empty: Harness;
  let me: AuthSession;

  beforeAll(async () => {
    migrated = await setupHarness();
    empty = await setupHarness({ migrate: false });
    me = await makeUser(migrated);
  });
  afterAll(async () => {
    await migrated?.close();
    await empty?.close();
  });

  it('reports a reachable, fully migrated database and the versions', async () => {
    const health = await (await callerFor(migrated, me)).system.health();
    const journal = await migrationStatus(migrated.database.url);
    expect(health.status).toBe('ok');
    expect(health.database).toMatchObject({ ok: true });
    if (!health.database.ok || !health.migrations.ok) throw new Error('unreachable');
    expect(health.database.latencyMs).toBeGreaterThan(0);
    expect(health.database.serverVersion).toMatch(/^\d+/);
    expect(health.migrations).toMatchObject({
      applied: journal.length,
      pending: 0,
      total: journal.length,
      latest: journal.at(-1)?.tag,
    });
    expect(health.version).toEqual({ baton: '9.9.9-test', node: process.version });
  });

  it('reports pending migrations as degraded', async () => {
    // The session is not checked against the database, so any session works here.
    const health = await (await callerFor(empty, me)).system.health();
    expect(health.status).toBe('degraded');
    if (!health.migrations.ok) throw new Error('migration status failed');
    expect(health.migrations.applied).toBe(0);
    expect(health.migrations.pending).toBe(health.migrations.total);
    expect(health.migrations.total).toBeGreaterThanOrEqual(2);
  });

  it('reports an unreachable database as down instead of failing', async () => {
    const h = await setupHarness();
    const caller = await callerFor(h, me);
    await h.close();
    const health = await caller.system.health();
    expect(health.status).toBe('down');
    expect(health.database.ok).toBe(false);
    expect(health.migrations.ok).toBe(false);
  });
});
