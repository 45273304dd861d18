import { teamRepositories, teams } from '@baton/db/schema';
import { Command } from 'commander';
import { asc, eq } from 'drizzle-orm';
import { resolveTeam, withCtx } from '../context';

const SOURCES = `A source is an https://, http:// or git:// URL without credentials in it, or the absolute
path of a local repository inside one of the folders in BATON_REPOS_DIRS (":"-separated;
default <BATON_DATA_DIR>/repos). Links leading outside those folders are refused.`;

/**
 * `baton repo add|list|remove`: a team's repositories, which claude-code tasks may ask for as
 * their workspace (`baton task submit --repo <name>`). The same validation as the console's
 * Settings → Repositories (`addRepository` in @baton/api); acting from a shell on the
 * instance, as its administrator.
 */
export function repoCommand(): Command {
  const repo = new Command('repo').description(
    "Register, list and remove a team's git repositories (claude-code tasks clone them with --repo).",
  );

  repo
    .command('add')
    .description('Register a repository in a team, checking its source and default ref.')
    .requiredOption('--team <team>', 'team slug or id')
    .requiredOption(
      '--name <name>',
      'what tasks call it: lowercase letters, digits, . _ - (up to 63)',
    )
    .requiredOption('--source <source>', 'a URL or an absolute path (see below)')
    .option('--ref <ref>', 'the default ref tasks get when they name none', 'HEAD')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\n${SOURCES}\n\nInput refused prints as "error: <field>: <message>" (defaultRef is --ref) and exits with 2.`,
    )
    .action(
      async (o: { team: string; name: string; source: string; ref: string; json?: boolean }) => {
        const { addRepository } = await import('@baton/api');
        await withCtx(false, async (ctx) => {
          const team = await resolveTeam(ctx.client, o.team);
          const row = await addRepository(ctx.client.db, team.id, {
            name: o.name,
            source: o.source,
            defaultRef: o.ref,
          });
          if (o.json) return console.log(JSON.stringify({ team: team.slug, ...row }, null, 2));
          console.log(
            `added ${row.name} to ${team.slug}: ${row.source} (${row.defaultRef}${row.commit ? ` at ${row.commit.slice(0, 12)}` : ''})`,
          );
        });
      },
    );

  repo
    .command('list')
    .description("List a team's repositories (every team's without --team).")
    .option('--team <team>', 'team slug or id')
    .option('--json', 'print JSON')
    .action(async (o: { team?: string; json?: boolean }) => {
      await withCtx(false, async (ctx) => {
        const team = o.team ? await resolveTeam(ctx.client, o.team) : undefined;
        const rows = await ctx.client.db
          .select({
            team: teams.slug,
            id: teamRepositories.id,
            name: teamRepositories.name,
            source: teamRepositories.source,
            defaultRef: teamRepositories.defaultRef,
            createdAt: teamRepositories.createdAt,
          })
          .from(teamRepositories)
          .innerJoin(teams, eq(teams.id, teamRepositories.teamId))
          .where(team ? eq(teamRepositories.teamId, team.id) : undefined)
          .orderBy(asc(teams.slug), asc(teamRepositories.name));
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0)
          return console.log(
            team ? `no repositories in ${team.slug}` : 'no repositories (baton repo add --help)',
          );
        const w = (k: 'team' | 'name' | 'defaultRef') => Math.max(...rows.map((r) => r[k].length));
        for (const r of rows)
          console.log(
            `${r.team.padEnd(w('team'))}  ${r.name.padEnd(w('name'))}  ${r.defaultRef.padEnd(w('defaultRef'))}  ${r.source}`,
          );
      });
    });

  repo
    .command('remove')
    .description(
      'Remove a repository from a team (queued tasks that name it fail to start; finished ones keep their results).',
    )
    .requiredOption('--team <team>', 'team slug or id')
    .requiredOption('--name <name>', 'the repository')
    .action(async (o: { team: string; name: string }) => {
      const { removeRepository } = await import('@baton/api');
      await withCtx(false, async (ctx) => {
        const team = await resolveTeam(ctx.client, o.team);
        await removeRepository(ctx.client.db, team.id, { name: o.name });
        console.log(`removed ${o.name} from ${team.slug}`);
      });
    });

  return repo;
}
