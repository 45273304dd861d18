// A subpath import: the package root also loads the embedded server, which bundlers cannot trace.
import { pingDb } from '@baton/db/client';
import { migrationStatus } from '@baton/db/migrate';
import { instanceSettings } from '@baton/db/schema';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { isOperator } from '../operator';
import { createTRPCRouter, operatorOnly, protectedProcedure } from '../trpc';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const amount = (n: number, unit: string) =>
  `${n.toLocaleString('en-US')} ${n === 1 && unit === 'days' ? 'day' : unit}`;

const whole = (what: string, min: number, max: number, unit: string) =>
  z
    .number({ error: `Enter the ${what}.` })
    .int('Use a whole number.')
    .min(min, `At least ${amount(min, unit)}.`)
    .max(max, `At most ${amount(max, unit)}.`);

/** The ranges of instance_settings' check constraint. */
export const setSandboxInput = z.object({
  workspaceRetentionDays: whole('retention', 1, 3650, 'days'),
  taskMemoryMb: whole('memory limit', 64, 1_048_576, 'MiB'),
  taskMaxProcesses: whole('process limit', 8, 100_000, 'processes'),
  taskCpuSeconds: whole('CPU time limit', 10, 604_800, 'seconds'),
  taskDiskMb: whole('disk limit', 16, 10_485_760, 'MiB'),
});

const sandboxColumns = {
  workspaceRetentionDays: instanceSettings.workspaceRetentionDays,
  taskMemoryMb: instanceSettings.taskMemoryMb,
  taskMaxProcesses: instanceSettings.taskMaxProcesses,
  taskCpuSeconds: instanceSettings.taskCpuSeconds,
  taskDiskMb: instanceSettings.taskDiskMb,
  updatedAt: instanceSettings.updatedAt,
};

export const systemRouter = createTRPCRouter({
  /**
   * The instance's sandbox settings (one row): workspace retention and the default resource
   * limits of every claude-code task; `canEdit` for operators.
   */
  sandbox: protectedProcedure.query(async ({ ctx }) => {
    let [row] = await ctx.db.select(sandboxColumns).from(instanceSettings).limit(1);
    if (!row) {
      // Migration 0014 inserts the row; should it be gone, its defaults apply.
      await ctx.db.insert(instanceSettings).values({ id: true }).onConflictDoNothing();
      [row] = await ctx.db.select(sandboxColumns).from(instanceSettings).limit(1);
    }
    return { ...row!, canEdit: await isOperator(ctx.db, ctx.session.user.id) };
  }),

  /** Changes them (instance operators only); workers read them when a task starts. */
  setSandbox: protectedProcedure
    .input(setSandboxInput)
    .use(operatorOnly('the sandbox settings every team shares'))
    .mutation(async ({ ctx, input }) => {
      const values = { ...input, updatedBy: ctx.session.user.id, updatedAt: sql`now()` };
      const [row] = await ctx.db
        .insert(instanceSettings)
        .values({ id: true, ...values })
        .onConflictDoUpdate({ target: instanceSettings.id, set: values })
        .returning(sandboxColumns);
      return { ...row!, canEdit: true };
    }),

  /** The signed-in user, and whether they operate this instance (may change the price table). */
  me: protectedProcedure.query(async ({ ctx }) => ({
    id: ctx.session.user.id,
    name: ctx.session.user.name,
    email: ctx.session.user.email,
    isOperator: await isOperator(ctx.db, ctx.session.user.id),
  })),

  /**
   * Database reachability and latency, migrations applied/pending, versions. What went wrong
   * (the database's or the migrator's error text) and the server's full version string are for
   * instance operators only (`details: true`); anyone else gets a generic sentence and the
   * version number. A database that cannot say whether the caller operates it counts as "no".
   */
  health: protectedProcedure.query(async ({ ctx }) => {
    const checkedAt = new Date();
    const details = await isOperator(ctx.db, ctx.session.user.id).catch(() => false);
    let database:
      | { ok: true; latencyMs: number; serverVersion: string }
      | { ok: false; error: string };
    try {
      const latencyMs = await pingDb(ctx.pool);
      const res = await ctx.pool.query<{ server_version: string }>('show server_version');
      const version = res.rows[0]?.server_version ?? 'unknown';
      database = {
        ok: true,
        latencyMs,
        serverVersion: details ? version : (version.split(' ')[0] ?? 'unknown'),
      };
    } catch (err) {
      database = {
        ok: false,
        error: details
          ? message(err)
          : 'The database cannot be reached. An operator has the details.',
      };
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
      migrations = {
        ok: false,
        error: details
          ? message(err)
          : 'The migration status cannot be read. An operator has the details.',
      };
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
      /** Whether the error texts and the full server version are included (operators). */
      details,
    };
  }),
});
