import { resolveDatabase, runMigrations } from '@baton/db';
import { Command } from 'commander';

/**
 * `baton operator grant|revoke <email>`: instance operators may change what
 * every team shares (the price table). The demo user of a first start, or
 * else the first account created, is one; this appoints or removes others.
 */
export function operatorCommand(): Command {
  const command = new Command('operator').description(
    'Appoint or remove instance operators (who may change the shared price table).',
  );
  for (const [name, grant] of [
    ['grant', true],
    ['revoke', false],
  ] as const) {
    command
      .command(`${name} <email>`)
      .description(
        grant
          ? 'Make the user with this email an operator.'
          : 'Take the operator flag from the user with this email.',
      )
      .action(async (email: string) => {
        const db = await resolveDatabase();
        try {
          await runMigrations(db.url);
          const [{ setOperator }, { createDb }] = await Promise.all([
            import('@baton/api'),
            import('@baton/db'),
          ]);
          const client = createDb(db.url, { max: 1, applicationName: 'baton-cli' });
          try {
            await setOperator(client.db, email, grant);
          } finally {
            await client.close();
          }
          console.log(`${email.toLowerCase()} is ${grant ? 'now' : 'no longer'} an operator`);
        } catch (err) {
          console.error(`error: ${(err as Error).message}`);
          process.exitCode = 1;
        } finally {
          await db.stop();
        }
      });
  }
  return command;
}
