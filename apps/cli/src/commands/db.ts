import {
  migrationStatus,
  redactUrl,
  repeatableStatus,
  resolveDatabase,
  runMigrations,
} from '@baton/db';
import { Command } from 'commander';

async function withDatabase<T>(fn: (url: string, source: string) => Promise<T>): Promise<T> {
  const db = await resolveDatabase();
  try {
    const where =
      db.source === 'external'
        ? `DATABASE_URL ${redactUrl(db.url)}`
        : `embedded PostgreSQL on port ${db.embedded?.port} (${db.embedded?.attached ? 'running under baton start' : 'started for this command'}), data in ${db.embedded?.dataDir}`;
    return await fn(db.url, where);
  } finally {
    await db.stop();
  }
}

export function dbCommand(): Command {
  const db = new Command('db').description('Manage the database: migrations and their status.');

  db.command('migrate')
    .description('Apply pending migrations (baton start and the worker also do this at start).')
    .action(async () => {
      await withDatabase(async (url, where) => {
        console.log(`database: ${where}`);
        const { applied, repeatable } = await runMigrations(url);
        if (applied.length === 0 && repeatable.length === 0)
          console.log('up to date: no pending migrations');
        for (const tag of applied) console.log(`applied ${tag}`);
        for (const name of repeatable) console.log(`re-applied ${name} (repeatable)`);
      });
    });

  db.command('status')
    .description('List every migration and whether it is applied.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (url, where) => {
        const states = await migrationStatus(url);
        if (opts.json) {
          console.log(JSON.stringify({ database: where, migrations: states }, null, 2));
          return;
        }
        console.log(`database: ${where}`);
        for (const m of states) console.log(`${m.applied ? 'applied' : 'pending'}  ${m.tag}`);
        for (const r of await repeatableStatus(url))
          console.log(`${r.state.padEnd(7)}  ${r.name} (repeatable)`);
        const pending = states.filter((m) => !m.applied).length;
        console.log(pending ? `${pending} pending — run: pnpm baton db migrate` : 'up to date');
      });
    });

  return db;
}
