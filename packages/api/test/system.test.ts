import { migrationStatus } from '@baton/db';
import { users } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/index';
import { type AuthSession, createTRPCContext } from '../src/trpc';
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
    // Nothing of the database's own words (its address, the driver's error) for a viewer.
    expect(health.details).toBe(false);
    expect(health.database).toEqual({
      ok: false,
      error: 'The database cannot be reached. An operator has the details.',
    });
    expect(JSON.stringify(health)).not.toMatch(
      /127\.0\.0\.1|ECONNREFUSED|terminat|database ".*" does not exist/i,
    );
  });

  it('gives error texts and the full server version to operators only', async () => {
    const operator = await makeUser(migrated, 'Operator');
    await migrated.client.db
      .update(users)
      .set({ isOperator: true })
      .where(eq(users.id, operator.user.id));
    // The migration journal read from a database that does not exist (the rest works).
    const broken = new URL(migrated.database.url);
    broken.pathname = '/baton_no_such_database';
    const healthOf = async (session: AuthSession) =>
      createCaller(
        await createTRPCContext({
          headers: new Headers(),
          client: migrated.client,
          databaseUrl: broken.toString(),
          session,
          version: '9.9.9-test',
        }),
      ).system.health();
    const asViewer = await healthOf(me);
    const asOperator = await healthOf(operator);
    const serverVersion = (
      await migrated.client.pool.query<{ server_version: string }>('show server_version')
    ).rows[0]!.server_version;

    expect(asOperator.details).toBe(true);
    expect(asOperator.status).toBe('degraded');
    expect(asOperator.database).toMatchObject({ ok: true, serverVersion });
    expect(asOperator.migrations.ok).toBe(false);
    if (asOperator.migrations.ok) throw new Error('unreachable');
    expect(asOperator.migrations.error).toMatch(/baton_no_such_database/);

    expect(asViewer.details).toBe(false);
    expect(asViewer.status).toBe('degraded');
    expect(asViewer.database).toMatchObject({
      ok: true,
      serverVersion: serverVersion.split(' ')[0],
    });
    expect(asViewer.migrations).toEqual({
      ok: false,
      error: 'The migration status cannot be read. An operator has the details.',
    });
    expect(JSON.stringify(asViewer)).not.toContain('baton_no_such_database');
  });
});
