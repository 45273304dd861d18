import { createDb, type DbClient, resolveDatabase, runMigrations } from '@baton/db';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { eq } from 'drizzle-orm';

/** What a command that reads or writes Baton's data works with. */
export interface Ctx {
  url: string;
  client: DbClient;
  boss?: PgBoss;
}

/** Opens the database (migrated; the embedded one when DATABASE_URL is unset), and the queue when asked. */
export async function withCtx<T>(needBoss: boolean, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const db = await resolveDatabase();
  const client = createDb(db.url, { max: 3, applicationName: 'baton-cli' });
  let boss: PgBoss | undefined;
  try {
    await runMigrations(db.url);
    if (needBoss)
      boss = await createBoss(db.url, {
        supervise: false,
        max: 2,
        applicationName: 'baton-cli-queue',
      });
    return await fn({ url: db.url, client, boss });
  } finally {
    await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
    await client.close();
    await db.stop();
  }
}

/** A team by slug or id; without one, the demo team or the only team. */
export async function resolveTeam(client: DbClient, slugOrId: string | undefined) {
  if (slugOrId) {
    const isUuid = /^[0-9a-f-]{36}$/i.test(slugOrId);
    const [team] = await client.db
      .select()
      .from(teams)
      .where(isUuid ? eq(teams.id, slugOrId) : eq(teams.slug, slugOrId))
      .limit(1);
    if (!team) {
      const known = await client.db
        .select({ slug: teams.slug })
        .from(teams)
        .orderBy(teams.slug)
        .limit(21);
      const list = known.length
        ? `teams: ${known
            .slice(0, 20)
            .map((t) => t.slug)
            .join(', ')}${known.length > 20 ? ', …' : ''}`
        : 'there is no team yet';
      throw new Error(`no team "${slugOrId}" (use its slug or id; ${list})`);
    }
    return team;
  }
  const all = await client.db.select().from(teams).orderBy(teams.createdAt).limit(2);
  const demo = all.find((t) => t.slug === 'demo');
  if (demo) return demo;
  if (all.length === 1) return all[0]!;
  if (all.length === 0)
    throw new Error(
      'there is no team yet: start Baton once (pnpm start) or create one in the console',
    );
  throw new Error('several teams exist: pass --team <slug>');
}
