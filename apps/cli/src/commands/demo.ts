import { dataDir, resolveDatabase, runMigrations } from '@baton/db';
import { Command } from 'commander';
import { cliEnv } from '../env';
import { resolveSecret } from '../secret';

export function demoPasswordCommand(): Command {
  return new Command('demo-password')
    .description('Set a new generated password for the demo user (demo@baton.local) and print it.')
    .action(async () => {
      const db = await resolveDatabase();
      try {
        await runMigrations(db.url);
        const { secret } = resolveSecret(dataDir(), cliEnv.BATON_SECRET);
        const { newDemoPassword } = await import('../signin');
        const { email, password } = await newDemoPassword({
          databaseUrl: db.url,
          secret,
          baseURL: `http://127.0.0.1:${cliEnv.BATON_WEB_PORT}`,
        });
        console.log(`${email}  /  ${password}`);
        console.log('(only its hash is stored; this is the one time it is shown)');
      } finally {
        await db.stop();
      }
    });
}
