/**
 * `baton mcp`: Baton's MCP server (@baton/mcp) over stdio as a configured team, and
 * `baton mcp token create|list|revoke`: a team's bearer tokens for its Streamable HTTP transport
 * (which `baton start` serves on BATON_MCP_PORT, default 4030). The token commands call the api's
 * `mcpToken` router — its validation, its hashing, its rows — as the team's first owner: the
 * identity `baton mcp --team` acts as (whoever runs the CLI holds the instance's database).
 */
import { createDb, type DbClient, resolveDatabase, runMigrations } from '@baton/db';
import { memberships, users } from '@baton/db/schema';
import { Command } from 'commander';
import { and, asc, eq } from 'drizzle-orm';
import { type Ctx, resolveTeam, withCtx } from '../context';
import { cliEnv } from '../env';
import { withOptionNames } from './budget';

/** The api's field names → this command's options (what a refusal names). */
const OPTION_OF: Record<string, string> = {
  name: '--name',
  teamId: '--team',
  tokenId: '<id-or-prefix>',
};

/** A refusal the CLI prints as "error: <option>: <message>" and exits with 2. */
function optionError(option: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: 'AppError' as const,
    code: 'BAD_REQUEST',
    meta: { field: option },
  });
}

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
}

/**
 * What the api refused, as the AppError the CLI reports: a procedure's AppError (tRPC wraps it
 * as the cause), or its input schema's issues (a ZodError cause) as field errors.
 */
async function unwrapApiError(err: unknown): Promise<unknown> {
  const { isAppError } = await import('@baton/api');
  const cause = (err as { cause?: unknown })?.cause;
  if (isAppError(cause)) return withOptionNames(cause, OPTION_OF);
  const issues = (cause as { issues?: ZodIssueLike[] })?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const named = issues.map((i) => {
      const field = String(i.path[0] ?? '');
      return { field: OPTION_OF[field] ?? field, message: i.message };
    });
    return Object.assign(new Error(named[0]!.message), {
      name: 'AppError' as const,
      code: 'BAD_REQUEST',
      meta: { field: named[0]!.field, issues: named },
    });
  }
  return err;
}

/** The team `--team` names (or the default one); not found → an error naming --team. */
function teamOption(client: DbClient, slugOrId: string | undefined) {
  return resolveTeam(client, slugOrId).catch((err: Error) => {
    throw optionError('--team', err.message);
  });
}

/** The api as the team's first owner, with the team. */
async function asTeamOwner(ctx: Ctx, slugOrId: string | undefined) {
  const { createCaller, createTRPCContext } = await import('@baton/api');
  const team = await teamOption(ctx.client, slugOrId);
  const [owner] = await ctx.client.db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.teamId, team.id), eq(memberships.role, 'owner')))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId))
    .limit(1);
  if (!owner)
    throw optionError(
      '--team',
      `The team ${team.slug} has no owner to act as: add one in the console first.`,
    );
  const api = createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: ctx.client,
      databaseUrl: ctx.url,
      session: {
        user: { id: owner.id, name: owner.name, email: owner.email, image: null },
        session: { id: 'baton-cli', expiresAt: new Date(Date.now() + 60_000) },
      },
    }),
  );
  return { api, team, owner };
}

const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

const CLAUDE_ADD_HTTP = (token: string) =>
  `claude mcp add --transport http baton http://127.0.0.1:${cliEnv.BATON_MCP_PORT}/mcp --header "Authorization: Bearer ${token}"`;

export function mcpCommand(): Command {
  const mcp = new Command('mcp')
    .description(
      "Run Baton's MCP server on stdio as a team (spawn_agent, wait_agent, … over this process's stdin/stdout), and manage the team tokens of its HTTP transport (baton start serves it on port 4030).",
    )
    .option('--team <team>', 'the team to act as, slug or id (default: the demo team)')
    .option('--token <token>', 'act as this team token instead (also BATON_MCP_TOKEN)')
    .addHelpText(
      'after',
      `
stdout carries the MCP protocol only; diagnostics go to stderr (through pnpm, use -s: pnpm's own
banner would go to stdout). With --team the server acts as the
team's first owner (their spend caps apply); with a token, as the token's team and creator.

Examples:
  claude mcp add baton -- pnpm -s baton mcp --team demo
  BATON_MCP_TOKEN=baton_mcp_… pnpm baton mcp
  pnpm baton mcp token create --team demo     # a bearer token for http://127.0.0.1:4030/mcp`,
    )
    .action(async (o: { team?: string; token?: string }) => {
      await serveStdio(o);
    });

  // `baton mcp token create --team x`: commander gives `mcp` (which has --team too) every option
  // after it, so the subcommands read theirs merged with their parents' (optsWithGlobals).
  const token = new Command('token').description(
    "A team's bearer tokens for the MCP server's HTTP transport (/mcp): create, list, revoke.",
  );

  token
    .command('create')
    .description(
      'Create a token for the team: shown this once (only its hash is stored), alone on the last line.',
    )
    .option('--team <team>', 'team slug or id (default: the demo team)')
    .option('--name <name>', 'what the token is for, 1 to 100 characters', 'baton CLI')
    .option('--json', 'print JSON: {id, name, prefix, token}')
    .addHelpText(
      'after',
      `
Input refused prints as "error: <option>: <message>" and exits with 2.

Examples:
  pnpm baton mcp token create --team demo --name laptop
  ${CLAUDE_ADD_HTTP('$(pnpm -s baton mcp token create --team demo | tail -1)')}`,
    )
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ team?: string; name: string; json?: boolean }>();
      await withCtx(false, async (ctx) => {
        const { api, team, owner } = await asTeamOwner(ctx, o.team);
        const created = await api.mcpToken
          .create({ teamId: team.id, name: o.name })
          .catch(async (err: unknown) => {
            throw await unwrapApiError(err);
          });
        if (o.json)
          return console.log(
            JSON.stringify(
              {
                id: created.id,
                name: created.name,
                prefix: created.prefix,
                token: created.token,
              },
              null,
              2,
            ),
          );
        console.log(
          `Created the MCP token "${created.name}" of team ${team.slug} (id ${created.id}, prefix ${created.prefix}), acting as ${owner.email}.`,
        );
        console.log(
          'It is shown only now: Baton keeps its hash. Revoke it with `baton mcp token revoke <id-or-prefix>`.',
        );
        console.log(
          `Use it as "Authorization: Bearer <token>" on http://127.0.0.1:${cliEnv.BATON_MCP_PORT}/mcp, e.g.:`,
        );
        console.log(`  ${CLAUDE_ADD_HTTP('<token>')}`);
        console.log(created.token);
      });
    });

  token
    .command('list')
    .description("List the team's tokens, newest first: name, prefix, created, last use, revoked.")
    .option('--team <team>', 'team slug or id (default: the demo team)')
    .option(
      '--json',
      'print JSON: a list of {id, name, prefix, created_by, task_id, created_at, last_used_at, expires_at, revoked_at}',
    )
    .action(async (_: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ team?: string; json?: boolean }>();
      await withCtx(false, async (ctx) => {
        const { api, team } = await asTeamOwner(ctx, o.team);
        const tokens = await api.mcpToken.list({ teamId: team.id }).catch(async (err: unknown) => {
          throw await unwrapApiError(err);
        });
        if (o.json)
          return console.log(
            JSON.stringify(
              tokens.map((t) => ({
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created_by: t.createdBy,
                task_id: t.taskId,
                created_at: iso(t.createdAt),
                last_used_at: iso(t.lastUsedAt),
                expires_at: iso(t.expiresAt),
                revoked_at: iso(t.revokedAt),
              })),
              null,
              2,
            ),
          );
        if (tokens.length === 0)
          return console.log(
            `team ${team.slug} has no MCP tokens (baton mcp token create --team ${team.slug})`,
          );
        const rows = tokens.map((t) => [
          t.id,
          t.name,
          t.prefix,
          iso(t.createdAt)!,
          iso(t.lastUsedAt) ?? 'never',
          t.revokedAt ? `revoked ${iso(t.revokedAt)}` : '-',
        ]);
        const head = ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'];
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

  token
    .command('revoke')
    .description('Revoke a token at once (by its id or its prefix): its next request is refused.')
    .argument('<id-or-prefix>', 'the token id, or its prefix (what `baton mcp token list` shows)')
    .option('--team <team>', 'team slug or id (default: the demo team)')
    .action(async (idOrPrefix: string, _: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ team?: string }>();
      await withCtx(false, async (ctx) => {
        const { api, team } = await asTeamOwner(ctx, o.team);
        const { MCP_TOKEN_PREFIX } = await import('@baton/api');
        const wanted = idOrPrefix.trim().replace(new RegExp(`^${MCP_TOKEN_PREFIX}`), '');
        if (!wanted) throw optionError('<id-or-prefix>', 'Name the token: its id or its prefix.');
        const tokens = await api.mcpToken.list({ teamId: team.id }).catch(async (err: unknown) => {
          throw await unwrapApiError(err);
        });
        const matches = tokens.filter(
          (t) =>
            t.id === wanted.toLowerCase() || (wanted.length >= 4 && t.prefix.startsWith(wanted)),
        );
        if (matches.length === 0)
          throw Object.assign(new Error(`No token "${wanted}" in team ${team.slug}.`), {
            name: 'AppError' as const,
            code: 'NOT_FOUND',
            meta: { field: '<id-or-prefix>' },
          });
        if (matches.length > 1)
          throw optionError(
            '<id-or-prefix>',
            `"${wanted}" matches ${matches.length} tokens of team ${team.slug}: use the id or more of the prefix.`,
          );
        const t = matches[0]!;
        const wasRevoked = t.revokedAt !== null;
        const revoked = await api.mcpToken
          .revoke({ teamId: team.id, tokenId: t.id })
          .catch(async (err: unknown) => {
            throw await unwrapApiError(err);
          });
        console.log(
          wasRevoked
            ? `the token "${t.name}" (${t.prefix}) of team ${team.slug} was already revoked at ${iso(revoked.revokedAt)}`
            : `revoked the token "${t.name}" (${t.prefix}) of team ${team.slug}: its next request is refused`,
        );
      });
    });

  mcp.addCommand(token);
  return mcp;
}

/**
 * `baton mcp`: the server on stdin/stdout until the client closes stdin or a signal comes. The
 * database (the embedded one when DATABASE_URL is unset) is opened and migrated first; the job
 * queue only when a tool first needs it. Nothing but the protocol is written to stdout.
 */
async function serveStdio(o: { team?: string; token?: string }) {
  const token = o.token ?? cliEnv.BATON_MCP_TOKEN;
  if (o.token !== undefined && o.team !== undefined)
    throw optionError('--token', 'Use either --team or --token, not both.');
  if (token !== undefined && !token.trim())
    throw optionError('--token', 'The token is empty: pass a token from `baton mcp token create`.');
  const log = (line: string) => process.stderr.write(`baton-mcp: ${line}\n`);
  const db = await resolveDatabase({
    log: cliEnv.BATON_VERBOSE === '1' ? (line) => log(line) : undefined,
  });
  // @baton/mcp validates its environment when loaded: the database is the one resolved here
  // (the embedded one when DATABASE_URL is unset).
  process.env.DATABASE_URL = db.url;
  const { runStdio, StdioIdentityError } = await import('@baton/mcp');
  const { lazyBoss } = await import('@baton/db/queue');
  const client: DbClient = createDb(db.url, { max: 3, applicationName: 'baton-mcp-stdio' });
  const boss = lazyBoss(db.url, {
    supervise: false,
    max: 2,
    applicationName: 'baton-mcp-queue',
  });
  let cleaned: Promise<void> | undefined;
  const cleanup = () => {
    cleaned ??= (async () => {
      await boss.stop({ graceful: false, close: true });
      await client.close().catch(() => undefined);
      await db.stop().catch(() => undefined);
    })();
    return cleaned;
  };
  try {
    await runMigrations(db.url);
    const identity = token
      ? { token: token.trim() }
      : { teamSlug: (await teamOption(client, o.team)).slug };
    const running = await runStdio({
      ...identity,
      client,
      databaseUrl: db.url,
      boss: boss.get,
      onError: (err, where) => log(`${where} failed: ${err instanceof Error ? err.message : err}`),
    }).catch((err: unknown) => {
      if (err instanceof StdioIdentityError)
        throw optionError(token ? '--token' : '--team', err.message);
      throw err;
    });
    log(
      `serving team ${'teamSlug' in identity ? identity.teamSlug : running.principal.teamId} on stdio`,
    );
    // The client ends the session by closing our stdin (the SDK's client does, then signals).
    const stdinEnded = new Promise<void>((resolve) => {
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
    });
    const signalled = new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, resolve);
    });
    await Promise.race([running.closed, stdinEnded, signalled]);
    await running.close().catch(() => undefined);
  } finally {
    await cleanup();
  }
  process.exit(0);
}
