import type { DbClient } from '@baton/db';
import { users } from '@baton/db/schema';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { resolveTeam, withCtx } from '../context';

/** The API's field names → the options that set them (what a refusal names). */
const OPTION_OF: Record<string, string> = {
  usd: '--usd',
  period: '--period',
  userId: '--user',
  teamId: '--team',
  scope: '--instance',
  ceiling: '--ceiling',
};

interface AppErrorLike {
  name: 'AppError';
  code: string;
  message: string;
  meta?: { field?: string; issues?: { field: string; message: string }[] };
}

/** Re-labels an AppError's fields with this command's option names (so "error: --usd: …"). */
export function withOptionNames(err: unknown, optionOf: Record<string, string>): unknown {
  const e = err as AppErrorLike;
  if (e?.name !== 'AppError' || !e.meta) return err;
  const rename = (f: string) => optionOf[f] ?? f;
  if (e.meta.field) e.meta.field = rename(e.meta.field);
  if (e.meta.issues) e.meta.issues = e.meta.issues.map((i) => ({ ...i, field: rename(i.field) }));
  return err;
}

/** A refusal the CLI prints as "error: <option>: <message>" and exits with 2. */
function optionError(option: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: 'AppError' as const,
    code: 'BAD_REQUEST',
    meta: { field: option },
  });
}

async function userByEmail(client: DbClient, email: string) {
  const [user] = await client.db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`)
    .limit(1);
  if (!user) throw optionError('--user', `There is no account with the email ${email.trim()}.`);
  return user;
}

interface CapOptions {
  team?: string;
  instance?: boolean;
  user?: string;
  period?: string;
  usd?: string;
  ceiling?: boolean;
  json?: boolean;
}

/** The cap the options name, in @baton/api's terms (`setSpendCap`'s / `removeSpendCap`'s input). */
async function capKey(client: DbClient, o: CapOptions) {
  if (o.instance && o.team)
    throw optionError('--instance', 'An instance cap applies to every team: leave --team out.');
  if (o.instance && o.user)
    throw optionError('--user', 'An instance cap names no user: use --team with --user.');
  if (!o.instance && !o.team)
    throw optionError(
      '--team',
      'Choose the team (its slug or id), or --instance for a cap on every team.',
    );
  const team = o.team ? await resolveTeam(client, o.team) : undefined;
  const user = o.user ? await userByEmail(client, o.user) : undefined;
  return {
    team,
    user,
    key: {
      scope: o.instance ? ('instance' as const) : user ? ('user' as const) : ('team' as const),
      ...(team && { teamId: team.id }),
      ...(user && { userId: user.id }),
      period: (o.period ?? '') as 'daily',
      ceiling: o.ceiling ?? false,
    },
  };
}

const whose = (scope: string, ceiling: boolean, team?: string, user?: string) =>
  scope === 'instance'
    ? 'the instance'
    : scope === 'user'
      ? `${user} in ${team}`
      : `${team}${ceiling ? " (the operator's ceiling)" : ''}`;

const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');

/**
 * `baton budget set|show|remove`: spend caps in USD per scope (the instance, a team, a user
 * within a team) and period (daily, weekly, monthly on UTC boundaries) — the strictest that
 * applies to a task wins. The same rules as the console's Budget page (`setSpendCap` in
 * @baton/api), acting from a shell on the instance as its operator: instance caps and a team's
 * ceiling (`--ceiling`, which the team's admins cannot exceed) included.
 */
export function budgetCommand(): Command {
  const budget = new Command('budget').description(
    'Set, show and remove spend caps (USD per instance, team or user, per day, week or month).',
  );
  const refusals =
    'Input refused prints as "error: <option>: <message>" and exits with 2. A cap above the team\'s ceiling of the same period is refused, naming it.';

  budget
    .command('set')
    .description('Set a cap (creates it, or changes its amount).')
    .option('--team <team>', 'team slug or id (a team cap, or with --user a member’s)')
    .option('--user <email>', 'a member of --team: a cap on their tasks in that team')
    .option('--instance', 'a cap on the whole instance (every team together)')
    .requiredOption('--period <period>', 'daily, weekly or monthly (UTC boundaries)')
    .requiredOption('--usd <amount>', 'the cap in USD, above 0, at most 4 decimals')
    .option('--ceiling', "a team's ceiling: its admins cannot exceed, change or remove it")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\n${refusals}\n\nExamples:\n  baton budget set --team demo --period daily --usd 5\n  baton budget set --team demo --user ada@example.com --period monthly --usd 20\n  baton budget set --instance --period monthly --usd 500`,
    )
    .action(async (o: CapOptions) => {
      const { setSpendCap } = await import('@baton/api');
      await withCtx(false, async (ctx) => {
        try {
          const { team, user, key } = await capKey(ctx.client, o);
          const cap = await setSpendCap(
            ctx.client.db,
            { ...key, usd: o.usd ?? '' },
            { operator: true, userId: null },
          );
          if (o.json) return console.log(JSON.stringify(capJson(cap), null, 2));
          console.log(
            `${cap.period} cap of ${whose(cap.scope, cap.setByOperator && cap.scope === 'team', team?.slug, user?.email)}: $${cap.usd} ($${cap.spent} spent, ${cap.usedPct}%; resets at ${iso(cap.resetsAt)})`,
          );
        } catch (err) {
          throw withOptionNames(err, OPTION_OF);
        }
      });
    });

  budget
    .command('show')
    .description(
      "Show caps with what was spent this period and when it resets: a team's (with the instance's), or every cap.",
    )
    .option('--team <team>', 'team slug or id')
    .option(
      '--json',
      'print JSON: a list of {scope, team, user, period, usd, spent_usd, resets_at}',
    )
    .action(async (o: { team?: string; json?: boolean }) => {
      const { listSpendCaps } = await import('@baton/api');
      await withCtx(false, async (ctx) => {
        const team = o.team ? await resolveTeam(ctx.client, o.team) : undefined;
        const caps = await listSpendCaps(ctx.client.db, team?.id);
        if (o.json) return console.log(JSON.stringify(caps.map(capJson), null, 2));
        if (caps.length === 0)
          return console.log(
            team ? `no caps apply to ${team.slug}` : 'no spend caps (baton budget set --help)',
          );
        const rows = caps.map((c) => [
          c.scope === 'team' && c.setByOperator ? 'ceiling' : c.scope,
          c.teamSlug ?? '-',
          c.userEmail ?? '-',
          c.period,
          `$${c.usd}`,
          `$${c.spent}`,
          `${c.usedPct}%${c.reached ? ' reached' : ''}`,
          `resets ${iso(c.resetsAt)}`,
        ]);
        const head = ['SCOPE', 'TEAM', 'USER', 'PERIOD', 'CAP', 'SPENT', 'USED', 'RESETS'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows])
          console.log(
            r
              .map((cell, i) => cell.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          );
      });
    });

  budget
    .command('remove')
    .description('Remove a cap.')
    .option('--team <team>', 'team slug or id')
    .option('--user <email>', 'a member of --team')
    .option('--instance', 'an instance cap')
    .requiredOption('--period <period>', 'daily, weekly or monthly')
    .option('--ceiling', "the team's ceiling (not its admins' cap)")
    .addHelpText('after', `\n${refusals}`)
    .action(async (o: CapOptions) => {
      const { removeSpendCap } = await import('@baton/api');
      await withCtx(false, async (ctx) => {
        try {
          const { team, user, key } = await capKey(ctx.client, o);
          await removeSpendCap(ctx.client.db, key, { operator: true, userId: null });
          console.log(
            `removed the ${key.period} cap of ${whose(key.scope, key.ceiling, team?.slug, user?.email)}`,
          );
        } catch (err) {
          throw withOptionNames(err, OPTION_OF);
        }
      });
    });

  return budget;
}

/** A cap as `baton budget show --json` prints it. */
function capJson(c: {
  scope: string;
  teamSlug: string | null;
  userEmail: string | null;
  period: string;
  usd: string;
  spent: string;
  resetsAt: Date;
  setByOperator: boolean;
}) {
  return {
    scope: c.scope,
    team: c.teamSlug,
    user: c.userEmail,
    period: c.period,
    usd: c.usd,
    spent_usd: c.spent,
    resets_at: c.resetsAt.toISOString(),
    ceiling: c.scope === 'team' && c.setByOperator,
  };
}
