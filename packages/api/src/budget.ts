/**
 * Spend caps as the console and the CLI change and show them — one implementation for the
 * `budget.*` procedures, `team.update`'s monthly budget and `baton budget …`, so all of them
 * refuse the same input the same way. The windows, what was spent in them and the refusal's
 * sentence come from @baton/db's one SQL definition (`baton_cap_state`, `capsFor`, `listCaps`).
 *
 * The rules:
 *  - scope `instance` (every team) and a team's ceiling (`ceiling: true`, stored as
 *    `set_by_operator`) are an instance operator's; a team's admins cannot change or remove them;
 *  - scope `team` and `user` (a member, within the team) are the team admins' (and operators'),
 *    never above an operator's ceiling of the same period for that team;
 *  - amounts are decimal USD strings above 0 with at most 4 decimals (shown with 2 to 4).
 *
 * At submit (`prepareTaskSubmission`) and re-drive (`task.retry`), `assertTaskMayRun` refuses a
 * task whose cap is reached (`BUDGET_EXCEEDED`) and a team that has no key of its own and may
 * not use the instance's (FORBIDDEN).
 */
import type { Database } from '@baton/db/client';
import {
  memberships,
  SPEND_PERIODS,
  SPEND_SCOPES,
  type SpendPeriod,
  type SpendScope,
  spendCaps,
  teams,
  users,
} from '@baton/db/schema';
import {
  CAP_COLUMNS,
  type CapRow,
  type CapState,
  capStateOf,
  capsFor,
  listCaps,
} from '@baton/db/spend';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from './errors';
import { fieldError, parseInput } from './validate';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type Db = Database | Tx;
type Queryable = Parameters<typeof capsFor>[0];

/** The node-postgres pool behind a Drizzle client made by `createDb` (what @baton/db/spend reads with). */
export function sqlClientOf(db: Database): Queryable {
  const client = (db as unknown as { $client?: Queryable }).$client;
  if (!client || typeof client.query !== 'function')
    throw new Error('this Drizzle client has no node-postgres pool behind it');
  return client;
}

/**
 * A decimal string with at least 2 and at most `max` decimals, trailing zeros dropped beyond
 * two: "5" → "5.00", "5.0000" → "5.00", "5.021300" → "5.0213".
 */
export function trimUsd(value: string | number, max = 4): string {
  const s = typeof value === 'number' ? value.toFixed(max) : value.trim();
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  let frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > max) return trimUsd(Number(s).toFixed(max), max);
  frac = frac.padEnd(2, '0');
  return `${m[1]}.${frac}`;
}

const MAX_USD = 1_000_000_000;

/** A cap's amount: a positive decimal (string or number) with at most 4 decimals → "12.50". */
export const usdAmount = z
  .union([z.string(), z.number()], { error: 'Enter an amount in USD, e.g. 5 or 12.50.' })
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim().replace(/^\$/, '')))
  .pipe(
    z
      .string()
      .regex(/^\d{1,10}(\.\d{1,4})?$/, 'Use an amount in USD with at most 4 decimals, e.g. 12.50.')
      .refine((v) => Number(v) > 0, 'Use an amount above $0.')
      .refine((v) => Number(v) <= MAX_USD, 'At most $1,000,000,000.')
      .transform((v) => trimUsd(v)),
  );

const capKeyShape = {
  /** `instance` (every team), `team`, or `user` (a member, within the team). */
  scope: z.enum(SPEND_SCOPES, 'Choose instance, team or user.'),
  /** The team (scope team and user); none for an instance cap. */
  teamId: z.uuid('Not a valid team id.').optional(),
  /** The member (scope user). */
  userId: z.string().trim().min(1, 'Choose a member.').max(200, 'Not a user id.').optional(),
  period: z.enum(SPEND_PERIODS, 'Choose daily, weekly or monthly.'),
  /** An operator's ceiling for the team (scope team): admins cannot exceed, change or remove it. */
  ceiling: z.boolean('Yes or no.').default(false),
};

function checkKey(
  v: { scope: SpendScope; teamId?: string; userId?: string; ceiling: boolean },
  ctx: z.RefinementCtx,
) {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [path], message });
  if (v.scope === 'instance') {
    if (v.teamId) issue('teamId', 'An instance cap belongs to no team: leave the team out.');
    if (v.userId) issue('userId', 'An instance cap names no user.');
    if (v.ceiling) issue('ceiling', 'A ceiling is set on a team (scope team).');
    return;
  }
  if (!v.teamId) issue('teamId', 'Choose the team.');
  if (v.scope === 'team' && v.userId)
    issue('userId', 'A team cap names no user: use scope user for a member.');
  if (v.scope === 'user') {
    if (!v.userId) issue('userId', 'Choose the member.');
    if (v.ceiling) issue('ceiling', 'A ceiling is set on a team (scope team), not on a member.');
  }
}

/** Which cap: `budget.remove`'s input (and `budget.set`'s without the amount). */
export const spendCapKeyInput = z.object(capKeyShape).superRefine(checkKey);
export type SpendCapKeyInput = z.input<typeof spendCapKeyInput>;

/** `budget.set`'s input: which cap, and its amount. */
export const setSpendCapInput = z.object({ ...capKeyShape, usd: usdAmount }).superRefine(checkKey);
export type SetSpendCapInput = z.input<typeof setSpendCapInput>;

/** Who changes a cap (the router authorizes the team role first; the CLI acts as an operator). */
export interface SpendCapActor {
  /** An instance operator (may set instance caps and team ceilings). */
  operator: boolean;
  /** Recorded as the cap's `created_by`. */
  userId?: string | null;
}

/** What lists show of a cap: its amount, what its scope spent this period, and when it resets. */
export interface CapView {
  capId: string;
  scope: SpendScope;
  teamId: string | null;
  teamSlug: string | null;
  teamName: string | null;
  /** Scope user: the member, with name and email. */
  userId: string | null;
  userName: string | null;
  userEmail: string | null;
  period: SpendPeriod;
  /** The cap, decimal USD ("5.00"). */
  usd: string;
  /** Spent in the current period by the cap's scope, decimal USD ("1.2345"). */
  spent: string;
  /** spent / usd in percent, 2 decimals. */
  usedPct: number;
  /** The current period (UTC boundaries): from `startsAt` up to `resetsAt`. */
  startsAt: Date;
  resetsAt: Date;
  reached: boolean;
  /** An operator's: an instance cap or a team's ceiling. */
  setByOperator: boolean;
}

/** The cap sentence with a capital letter (the SQL writes it to follow "not started: "). */
export function capSentence(cap: Pick<CapState, 'message'>): string {
  return cap.message.charAt(0).toUpperCase() + cap.message.slice(1);
}

/** Decorates cap states with the names lists show (team slug and name, the user's name and email). */
async function decorate(db: Db, caps: CapState[]): Promise<CapView[]> {
  const teamIds = [...new Set(caps.map((c) => c.teamId).filter((v): v is string => !!v))];
  const userIds = [...new Set(caps.map((c) => c.userId).filter((v): v is string => !!v))];
  const [teamRows, userRows] = await Promise.all([
    teamIds.length
      ? db
          .select({ id: teams.id, slug: teams.slug, name: teams.name })
          .from(teams)
          .where(inArray(teams.id, teamIds))
      : [],
    userIds.length
      ? db
          .select({ id: users.id, name: users.name, email: users.email })
          .from(users)
          .where(inArray(users.id, userIds))
      : [],
  ]);
  const teamOf = new Map(teamRows.map((t) => [t.id, t]));
  const userOf = new Map(userRows.map((u) => [u.id, u]));
  return caps.map((c) => {
    const team = c.teamId ? teamOf.get(c.teamId) : undefined;
    const user = c.userId ? userOf.get(c.userId) : undefined;
    const usd = Number(c.usd);
    return {
      capId: c.capId,
      scope: c.scope,
      teamId: c.teamId,
      teamSlug: team?.slug ?? null,
      teamName: team?.name ?? null,
      userId: c.userId,
      userName: user?.name ?? null,
      userEmail: user?.email ?? null,
      period: c.period,
      usd: trimUsd(c.usd),
      spent: trimUsd(c.spent, 6),
      usedPct: usd > 0 ? Math.round((Number(c.spent) / usd) * 10_000) / 100 : 0,
      startsAt: c.startsAt,
      resetsAt: c.resetsAt,
      reached: c.reached,
      setByOperator: c.setByOperator,
    };
  });
}

/**
 * Every cap visible from a team — the instance's, the team's (ceilings included) and its
 * members' — or, without `teamId`, every cap of the instance; instance first, then team, then
 * user caps, daily before weekly before monthly.
 */
export async function listSpendCaps(db: Database, teamId?: string): Promise<CapView[]> {
  return decorate(db, await listCaps(sqlClientOf(db), teamId));
}

/** The caps that apply to `userId`'s tasks in `teamId` (strictest first), with their use and reset. */
export async function capsForUser(
  db: Database,
  teamId: string,
  userId: string | null,
): Promise<CapView[]> {
  return decorate(db, await capsFor(sqlClientOf(db), teamId, userId));
}

export interface TeamCapsOverview {
  teamId: string;
  teamName: string;
  teamSlug: string;
  /** The caps that apply to the user's tasks in the team, strictest first. */
  caps: CapView[];
}

/** For each team of `userId` (by name): the caps that apply to their tasks there, with use and reset. */
export async function budgetOverview(db: Database, userId: string): Promise<TeamCapsOverview[]> {
  const mine = await db
    .select({ id: teams.id, name: teams.name, slug: teams.slug })
    .from(memberships)
    .innerJoin(teams, eq(teams.id, memberships.teamId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(teams.name));
  const out: TeamCapsOverview[] = [];
  for (const t of mine)
    out.push({
      teamId: t.id,
      teamName: t.name,
      teamSlug: t.slug,
      caps: await capsForUser(db, t.id, userId),
    });
  return out;
}

type ParsedKey = z.output<typeof spendCapKeyInput>;

function requireOperatorFor(key: ParsedKey, actor: SpendCapActor, verb: string) {
  if (actor.operator) return;
  if (key.scope === 'instance')
    throw new AppError(
      'FORBIDDEN',
      `Only an operator of this Baton instance can ${verb} instance caps.`,
      { requiredRole: 'operator', field: 'scope' },
    );
  if (key.ceiling)
    throw new AppError(
      'FORBIDDEN',
      `Only an operator of this Baton instance can ${verb} a team's ceiling.`,
      { requiredRole: 'operator', field: 'ceiling' },
    );
}

async function checkTeamAndMember(db: Db, key: ParsedKey) {
  if (!key.teamId) return;
  const [team] = await db
    .select({ id: teams.id })
    .from(teams)
    .where(eq(teams.id, key.teamId))
    .limit(1);
  if (!team) throw new AppError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
  if (key.scope !== 'user' || !key.userId) return;
  const [member] = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.teamId, key.teamId), eq(memberships.userId, key.userId)))
    .limit(1);
  if (!member) throw fieldError('userId', 'Not a member of this team.');
}

/** The stored row's key: instance caps are the operators' (set_by_operator), ceilings too. */
function rowKey(key: ParsedKey) {
  return {
    scope: key.scope,
    teamId: key.scope === 'instance' ? null : (key.teamId ?? null),
    userId: key.scope === 'user' ? (key.userId ?? null) : null,
    period: key.period,
    setByOperator: key.scope === 'instance' || key.ceiling,
  };
}

/** Refuses `usd` above the operator's ceiling of the same period for the team, naming it. */
async function checkCeiling(
  db: Db,
  teamId: string,
  period: SpendPeriod,
  usd: string,
  field: string,
) {
  const res = await db.execute(
    sql`select usd::text as usd, ${usd}::numeric > usd as above from ${spendCaps}
         where scope = 'team' and team_id = ${teamId} and period = ${period} and set_by_operator`,
  );
  const row = res.rows[0] as { usd: string; above: boolean } | undefined;
  if (row?.above) {
    const ceiling = trimUsd(row.usd);
    throw fieldError(
      field,
      `Above the operator's ${period} ceiling for this team ($${ceiling}): use $${ceiling} or less.`,
    );
  }
}

async function capView(db: Db, capId: string): Promise<CapView> {
  const res = await db.execute(
    sql`select s.cap_id as "capId", s.scope, s.team_id as "teamId", s.user_id as "userId", s.period,
               s.usd::text as usd, s.spent::text as spent, s.starts_at as "startsAt",
               s.resets_at as "resetsAt", s.set_by_operator as "setByOperator",
               s.spent >= s.usd as reached, s.message
          from ${spendCaps} c
          cross join lateral baton_cap_state(c.team_id, coalesce(c.user_id, '')) s
         where c.id = ${capId} and s.cap_id = c.id`,
  );
  const row = res.rows[0] as
    | (CapState & { startsAt: Date | string; resetsAt: Date | string })
    | undefined;
  if (!row) throw new AppError('NOT_FOUND', 'Cap not found.');
  const [view] = await decorate(db, [
    { ...row, startsAt: new Date(row.startsAt), resetsAt: new Date(row.resetsAt) },
  ]);
  return view!;
}

/** Inserts or updates one cap row (no checks: callers ran them). */
async function upsertCap(db: Db, key: ParsedKey, usd: string, createdBy: string | null) {
  const k = rowKey(key);
  const res = await db.execute(
    sql`insert into ${spendCaps} (scope, team_id, user_id, period, usd, set_by_operator, created_by)
        values (${k.scope}, ${k.teamId}, ${k.userId}, ${k.period}, ${usd}::numeric, ${k.setByOperator}, ${createdBy})
        on conflict on constraint spend_caps_key
        do update set usd = excluded.usd, created_by = excluded.created_by, updated_at = now()
        returning id`,
  );
  return (res.rows[0] as { id: string }).id;
}

async function deleteCap(db: Db, key: ParsedKey): Promise<string | undefined> {
  const k = rowKey(key);
  const gone = await db
    .delete(spendCaps)
    .where(
      and(
        eq(spendCaps.scope, k.scope),
        k.teamId ? eq(spendCaps.teamId, k.teamId) : sql`${spendCaps.teamId} is null`,
        k.userId ? eq(spendCaps.userId, k.userId) : sql`${spendCaps.userId} is null`,
        eq(spendCaps.period, k.period),
        eq(spendCaps.setByOperator, k.setByOperator),
      ),
    )
    .returning({ id: spendCaps.id });
  return gone[0]?.id;
}

/**
 * Sets a cap (creates it, or changes its amount). Throws `AppError`:
 *  - BAD_REQUEST naming the field: malformed input; `userId` not a member of the team; `usd`
 *    above the operator's ceiling of the same period for the team (the ceiling named);
 *  - FORBIDDEN: an instance cap or a ceiling by someone who is not an operator;
 *  - NOT_FOUND on `teamId`: no such team.
 * The caller checked the team role (admin) for team and user caps.
 */
export async function setSpendCap(
  db: Database,
  input: SetSpendCapInput,
  actor: SpendCapActor,
): Promise<CapView> {
  const v = parseInput(setSpendCapInput, input);
  requireOperatorFor(v, actor, 'set');
  return db.transaction(async (tx) => {
    await checkTeamAndMember(tx, v);
    if (v.teamId && !v.ceiling && v.scope !== 'instance')
      await checkCeiling(tx, v.teamId, v.period, v.usd, 'usd');
    const id = await upsertCap(tx, v, v.usd, actor.userId ?? null);
    return capView(tx, id);
  });
}

/**
 * Removes a cap. The same rules as `setSpendCap` (a team's admins cannot remove an operator's
 * ceiling); NOT_FOUND on `period` when there is no such cap.
 */
export async function removeSpendCap(
  db: Database,
  input: SpendCapKeyInput,
  actor: SpendCapActor,
): Promise<{ removed: string }> {
  const v = parseInput(spendCapKeyInput, input);
  requireOperatorFor(v, actor, 'remove');
  await checkTeamAndMember(db, v);
  const id = await deleteCap(db, v);
  if (!id) {
    const what =
      v.scope === 'instance'
        ? `${v.period} instance cap`
        : v.ceiling
          ? `${v.period} ceiling for this team`
          : `${v.period} ${v.scope} cap`;
    throw new AppError('NOT_FOUND', `There is no ${what} to remove.`, { field: 'period' });
  }
  return { removed: id };
}

/** The team's monthly team cap set by its admins (what `team.update`'s `monthlyBudgetUsd` is), or null. */
export async function monthlyTeamCap(db: Db, teamId: string): Promise<string | null> {
  const [row] = await db
    .select({ usd: spendCaps.usd })
    .from(spendCaps)
    .where(
      and(
        eq(spendCaps.scope, 'team'),
        eq(spendCaps.teamId, teamId),
        eq(spendCaps.period, 'monthly'),
        eq(spendCaps.setByOperator, false),
      ),
    )
    .limit(1);
  return row ? trimUsd(row.usd) : null;
}

/**
 * Sets (a positive amount) or removes (null) the team's monthly team cap — `team.update`'s
 * `monthlyBudgetUsd`, inside its transaction. Above the operator's monthly ceiling: a field
 * error on `field`.
 */
export async function setMonthlyTeamCap(
  tx: Db,
  teamId: string,
  usd: number | null,
  createdBy: string | null,
  field = 'monthlyBudgetUsd',
): Promise<string | null> {
  const key: ParsedKey = { scope: 'team', teamId, period: 'monthly', ceiling: false };
  if (usd === null) {
    await deleteCap(tx, key);
    return null;
  }
  const parsed = usdAmount.safeParse(usd);
  if (!parsed.success) throw fieldError(field, parsed.error.issues[0]?.message ?? 'Not an amount.');
  await checkCeiling(tx, teamId, 'monthly', parsed.data, field);
  await upsertCap(tx, key, parsed.data, createdBy);
  return parsed.data;
}

/** The refusal for a reached cap: its sentence, and `meta.details` naming it. */
export function budgetExceededError(cap: CapState): AppError {
  return new AppError('BUDGET_EXCEEDED', capSentence(cap), {
    details: {
      scope: cap.scope,
      period: cap.period,
      usd: trimUsd(cap.usd),
      spent: trimUsd(cap.spent, 6),
      resetsAt: cap.resetsAt.toISOString(),
    },
  });
}

export const NO_PROVIDER_KEY_MESSAGE =
  "This team has no provider key of its own and may not use the instance's: a team admin adds an Anthropic API key in Settings → Credentials, or an instance operator allows this team to use the instance key.";

/**
 * Whether a task of `team` by `userId` may be queued now: FORBIDDEN when the team has no
 * provider credential and may not use the instance's key; `BUDGET_EXCEEDED` (FORBIDDEN over
 * tRPC) when a cap that applies is reached — the strictest (the one resetting last), as the
 * worker's `baton_task_start` names it. One statement: the key check and the caps together.
 */
export async function assertTaskMayRun(
  db: Database,
  team: { id: string; allowInstanceKey: boolean },
  userId: string | null,
): Promise<void> {
  const { rows } = await sqlClientOf(db).query<{ may_use_key: boolean } & Partial<CapRow>>(
    `select ($3::boolean or exists (select 1 from provider_credentials
                                     where team_id = $1 and provider = 'anthropic')) as may_use_key,
            ${CAP_COLUMNS}
       from (select 1) one
       left join lateral (select * from baton_cap_state($1, $2) c where c.spent >= c.usd
                           order by c.resets_at desc, c.usd asc limit 1) s on true`,
    [team.id, userId ?? '', team.allowInstanceKey],
  );
  const row = rows[0];
  if (!row?.may_use_key)
    throw new AppError('FORBIDDEN', NO_PROVIDER_KEY_MESSAGE, { reason: 'no_provider_key' });
  if (row.cap_id) throw budgetExceededError(capStateOf(row as CapRow));
}
