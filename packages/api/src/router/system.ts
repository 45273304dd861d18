// A subpath import: the package root also loads the embedded server, which bundlers cannot trace.
import { pingDb } from '@baton/db/client';
import { migrationStatus } from '@baton/db/migrate';
import { isOperator } from '../operator';
import { createTRPCRouter, protectedProcedure } from '../trpc';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const systemRouter = createTRPCRouter({
  /** The signed-in user, and whether they operate this instance (may change the price table). */
  me: protectedProcedure.query(async ({ ctx }) => ({
    id: ctx.session.user.id,
    name: ctx.session.user.name,
    email: ctx.session.user.email,
    isOperator: await isOperator(ctx.db, ctx.session.user.id),
  })),

  /** Database reachability and latency, migrations applied/pending, versions. */
  health: protectedProcedure.query(async ({ ctx }) => {
    const checkedAt = new Date();
    let database:
      | { ok: true; latencyMs: number; serverVersion: string }
      | { ok: false; error: string };
    try {
      const latencyMs = await pingDb(ctx.pool);
      const res = await ctx.pool.query<{ server_version: string }>('show server_version');
      database = { ok: true, latencyMs, serverVersion: res.rows[0]?.server_version ?? 'unknown' };
    } catch (err) {
      database = { ok: false, error: message(err) };
    }

    let migrations:
      | {
          ok: true;
          applied: number;
          pending: number;
          total: number;
          latest: string | null;
          items: { tag: string; createdAt: Date; applied: boolean }[];
        }
      | { ok: false; error: string };
    try {
      const items = database.ok ? await migrationStatus(ctx.databaseUrl) : [];
      if (!database.ok) throw new Error('Database unreachable.');
      const applied = items.filter((m) => m.applied);
      migrations = {
        ok: true,
        applied: applied.length,
        pending: items.length - applied.length,
        total: items.length,
        latest: applied.at(-1)?.tag ?? null,
        items,
      };
    } catch (err) {
      migrations = { ok: false, error: message(err) };
    }

    const status: 'ok' | 'degraded' | 'down' = !database.ok
      ? 'down'
      : !migrations.ok || migrations.pending > 0
        ? 'degraded'
        : 'ok';
    return {
      status,
      checkedAt,
      database,
      migrations,
      version: { baton: ctx.version, node: process.version },
    };
  }),
});
