import { resolveDatabase, runMigrations } from '@baton/db';
import { Command } from 'commander';
import { resolveTeam, withCtx } from '../context';
import { withOptionNames } from './budget';

/**
 * `baton operator grant|revoke <email>`: instance operators may change what
 * every team shares (the price table). The demo user of a first start, or
 * else the first account created, is one; this appoints or removes others.
 * `baton operator team <team>`: a team's operator settings (`setOperatorTeamSettings`, the
 * rules of the console's team.setOperatorSettings).
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
  command
    .command('team <team>')
    .description(
      "Show or change an operator's settings for a team: whether it may use the instance's provider key, its fair-share weight and the ceiling of its concurrency quota.",
    )
    .option(
      '--allow-instance-key',
      "let the team's tasks use the instance's provider key when it has none of its own",
    )
    .option('--no-allow-instance-key', 'the team must bring its own key (Settings → Credentials)')
    .option('--share-weight <n>', "the team's share of workers and rate limits, 1 to 100")
    .option(
      '--max-concurrent <n>',
      'the highest concurrency quota its admins may set, 1 to 1000 (a higher quota is lowered)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nWithout options it shows the settings. Input refused prints as "error: <option>: <message>" and exits with 2.',
    )
    .action(
      async (
        slug: string,
        o: {
          allowInstanceKey?: boolean;
          shareWeight?: string;
          maxConcurrent?: string;
          json?: boolean;
        },
      ) => {
        const { setOperatorTeamSettings } = await import('@baton/api');
        // Numbers as typed; anything else reaches the API as text, refused with its message.
        const num = (v: string | undefined) =>
          v === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
        await withCtx(false, async (ctx) => {
          const team = await resolveTeam(ctx.client, slug);
          let settings: Awaited<ReturnType<typeof setOperatorTeamSettings>>;
          try {
            settings = await setOperatorTeamSettings(ctx.client.db, team.id, {
              allowInstanceKey: o.allowInstanceKey,
              shareWeight: num(o.shareWeight) as number | undefined,
              maxConcurrentCeiling: num(o.maxConcurrent) as number | undefined,
            });
          } catch (err) {
            throw withOptionNames(err, {
              allowInstanceKey: '--allow-instance-key',
              shareWeight: '--share-weight',
              maxConcurrentCeiling: '--max-concurrent',
              teamId: '<team>',
            });
          }
          if (o.json) return console.log(JSON.stringify(settings, null, 2));
          console.log(
            `${settings.slug}: ${settings.allowInstanceKey ? 'may use the instance key' : 'needs a key of its own'}; share weight ${settings.shareWeight}; concurrency ${settings.maxConcurrentTasks} (ceiling ${settings.maxConcurrentCeiling})`,
          );
        });
      },
    );

  return command;
}
