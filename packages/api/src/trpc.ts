/**
 * tRPC setup: context, the one error formatter, and the procedures every
 * router builds on. Authorization by team lives here (`teamProcedure`) and
 * nowhere else.
 */
import type { Database, DbClient } from '@baton/db/client';
import type { PgBoss } from '@baton/db/queue';
import { memberships, type Role, teams } from '@baton/db/schema';
import { initTRPC, TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import superjson from 'superjson';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { coordinationAsAppError } from './agents/errors';
import type { Auth } from './auth';
import { type ApiConfig, instanceConfig } from './config';
import { apiEnv, repositoryRoots } from './env';
import { AppError, isAppError, TRPC_CODE_OF } from './errors';
import { isOperator } from './operator';
import { roleAtLeast } from './roles';
import { unstorableIssues } from './validate';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  image?: string | null;
}

export interface AuthSession {
  user: SessionUser;
  session: { id: string; expiresAt: Date };
}

/**
 * Who calls through Baton's MCP server: a team's bearer token (`mcp_tokens`, authenticated by the
 * MCP adapter before any procedure runs). A token the worker minted for a Claude Code task carries
 * that task (`taskId`) and its tree (`rootTaskId`): it acts only inside that tree, and what it
 * spawns are that task's children.
 */
export interface McpPrincipal {
  tokenId: string;
  teamId: string;
  /** The token's creator: spawned tasks are created by them (their user caps apply). */
  userId: string | null;
  /** A task-scoped token: the tree it may act in. */
  rootTaskId: string | null;
  /** A task-scoped token: the task it speaks for. */
  taskId: string | null;
}

export interface CreateContextOptions {
  /** The incoming request's headers (cookies carry the session). */
  headers: Headers;
  /** The process-wide database client. */
  client: Pick<DbClient, 'db' | 'pool'>;
  /** The database URL (used for migration status). */
  databaseUrl: string;
  /** Resolves the session from `headers` when `session` is not given. */
  auth?: Pick<Auth, 'api'>;
  /** An already known session (tests, server-side callers); `null` = signed out. */
  session?: AuthSession | null;
  /** A caller authenticated by an MCP bearer token (the MCP adapter); no session then. */
  mcp?: McpPrincipal | null;
  /** The version reported by `system.health` (default: this package's). */
  version?: string;
  /** The job queue (lazily started); needed to submit and retry tasks. */
  boss?: () => Promise<PgBoss>;
  /** BATON_SECRET: encrypts stored provider credentials (never sent to the browser). */
  secret?: string;
  /** Folders local team repositories may come from (default: BATON_REPOS_DIRS, see env.ts). */
  repoRoots?: string[];
  /** The provider a saved key is checked against (default: ANTHROPIC_BASE_URL, see env.ts). */
  anthropicBaseUrl?: string;
  /** The instance's provider key (default: ANTHROPIC_API_KEY, see env.ts); null = none. */
  anthropicApiKey?: string | null;
  /** Whether the provider is Baton's simulator (default: BATON_PROVIDER, see env.ts). */
  providerSimulated?: boolean;
  /** The instance's configuration (default: BATON_CONFIG's, see config.ts). */
  config?: ApiConfig;
}

export interface Context {
  db: Database;
  pool: DbClient['pool'];
  databaseUrl: string;
  headers: Headers;
  session: AuthSession | null;
  /** Set when the call came through Baton's MCP server with a team's token. */
  mcp: McpPrincipal | null;
  version: string;
  boss: () => Promise<PgBoss>;
  secret: string | null;
  repoRoots: string[];
  anthropicBaseUrl: string;
  anthropicApiKey: string | null;
  providerSimulated: boolean;
  config: ApiConfig;
}

export async function createTRPCContext(opts: CreateContextOptions): Promise<Context> {
  let session: AuthSession | null = opts.session ?? null;
  if (opts.session === undefined && opts.auth) {
    const found = await opts.auth.api.getSession({ headers: opts.headers });
    session = found
      ? {
          user: {
            id: found.user.id,
            name: found.user.name,
            email: found.user.email,
            image: found.user.image ?? null,
          },
          session: { id: found.session.id, expiresAt: found.session.expiresAt },
        }
      : null;
  }
  return {
    db: opts.client.db,
    pool: opts.client.pool,
    databaseUrl: opts.databaseUrl,
    headers: opts.headers,
    session,
    mcp: opts.mcp ?? null,
    version: opts.version ?? pkg.version,
    boss:
      opts.boss ??
      (() => Promise.reject(new AppError('INTERNAL', 'The job queue is not configured here.'))),
    secret: opts.secret ?? null,
    repoRoots: opts.repoRoots ?? repositoryRoots(),
    anthropicBaseUrl: opts.anthropicBaseUrl ?? apiEnv.ANTHROPIC_BASE_URL,
    anthropicApiKey:
      opts.anthropicApiKey !== undefined
        ? opts.anthropicApiKey
        : (apiEnv.ANTHROPIC_API_KEY ?? null),
    providerSimulated: opts.providerSimulated ?? apiEnv.BATON_PROVIDER === 'simulator',
    config: opts.config ?? instanceConfig(),
  };
}

/** A zod error as `{ formErrors, fieldErrors }`, field keys being dotted paths ("options.maxTurns"). */
export interface ZodErrorShape {
  formErrors: string[];
  fieldErrors: Record<string, string[]>;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}

function asZodError(cause: unknown): { issues: ZodLikeIssue[] } | null {
  if (cause instanceof z.ZodError) return cause;
  const c = cause as { name?: unknown; issues?: unknown } | null;
  if (c && c.name === 'ZodError' && Array.isArray(c.issues)) return c as { issues: ZodLikeIssue[] };
  return null;
}

export function flattenZodError(error: { issues: ZodLikeIssue[] }): ZodErrorShape {
  const out: ZodErrorShape = { formErrors: [], fieldErrors: {} };
  for (const issue of error.issues) {
    if (issue.path.length === 0) {
      out.formErrors.push(issue.message);
      continue;
    }
    const key = issue.path.map(String).join('.');
    out.fieldErrors[key] ??= [];
    out.fieldErrors[key].push(issue.message);
  }
  return out;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const zodError = error.code === 'BAD_REQUEST' ? asZodError(cause) : null;
    const appError = isAppError(cause) ? { code: cause.code, meta: cause.meta ?? null } : null;
    const hideInternal =
      error.code === 'INTERNAL_SERVER_ERROR' && !appError && process.env.NODE_ENV === 'production';
    return {
      ...shape,
      message: zodError
        ? 'Some fields are invalid.'
        : hideInternal
          ? 'Internal server error'
          : shape.message,
      data: {
        ...shape.data,
        stack: hideInternal ? undefined : shape.data.stack,
        zodError: zodError ? flattenZodError(zodError) : null,
        appError,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;
export const middleware = t.middleware;

/**
 * Converts an `AppError` thrown anywhere below into the matching tRPC error (a coordination
 * refusal, core's `CoordinationError`, as the `AppError` it stands for).
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = coordinationAsAppError(result.error.cause);
    if (isAppError(cause))
      throw new TRPCError({ code: TRPC_CODE_OF[cause.code], message: cause.message, cause });
  }
  return result;
});

/**
 * Refuses input PostgreSQL cannot take before any procedure sees it — a NUL character in any
 * string (text and jsonb refuse it), a date outside the years 1–9999 — where the statement would
 * fail as an internal error. A field error like `parseInput`'s: `meta.field` the first such
 * value, `meta.issues` all of them.
 */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const issues = unstorableIssues(await getRawInput());
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new AppError('BAD_REQUEST', first.message, {
      ...(first.field ? { field: first.field } : {}),
      issues,
    });
  }
  return next();
});

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(domainErrors).use(storableInput);

/** A signed-in user; `ctx.session` is non-null. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new AppError('UNAUTHORIZED', 'Sign in to continue.');
  return next({ ctx: { session: ctx.session } });
});

export interface TeamAccess {
  team: typeof teams.$inferSelect;
  role: Role;
}

/**
 * The one place that decides whether a user may act in a team: a member with
 * at least `minimum` role. A team the user does not belong to is reported as
 * not found, so team ids cannot be probed.
 */
export async function requireTeamRole(
  db: Database,
  userId: string,
  teamId: string,
  minimum: Role,
): Promise<TeamAccess> {
  const [row] = await db
    .select({ team: teams, role: memberships.role })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw new AppError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
  if (!roleAtLeast(row.role, minimum)) {
    throw new AppError(
      'FORBIDDEN',
      `This needs the ${minimum} role or higher in ${row.team.name}; you are ${row.role}.`,
      { requiredRole: minimum, role: row.role },
    );
  }
  return row;
}

export const teamInput = z.object({ teamId: z.uuid('Not a valid team id.') });

/**
 * A procedure acting inside one team: takes `teamId` in its input (merge more
 * with `.input(...)`) and puts `ctx.team` and `ctx.role` in the context.
 */
export function teamProcedure(minimum: Role) {
  return protectedProcedure.input(teamInput).use(async ({ ctx, input, next }) => {
    const access = await requireTeamRole(ctx.db, ctx.session.user.id, input.teamId, minimum);
    return next({ ctx: { team: access.team, role: access.role } });
  });
}

/**
 * An instance operator (see `operator.ts`): for changes to what all teams share (`what`: the
 * price table, the sandbox settings). Everyone else is refused with FORBIDDEN. Use after
 * `.input(...)` so malformed input is reported first:
 * `protectedProcedure.input(schema).use(operatorOnly('the sandbox settings'))`.
 */
export function operatorOnly(what: string) {
  return t.middleware(async ({ ctx, next }) => {
    if (!ctx.session) throw new AppError('UNAUTHORIZED', 'Sign in to continue.');
    if (!(await isOperator(ctx.db, ctx.session.user.id))) {
      throw new AppError(
        'FORBIDDEN',
        `Only an operator of this Baton instance can change ${what}.`,
        {
          requiredRole: 'operator',
        },
      );
    }
    return next();
  });
}

/** `operatorOnly` for the shared price table. */
export const requireOperator = operatorOnly('the shared price table');
