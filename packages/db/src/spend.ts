/**
 * Spend caps as every part of Baton reads them: the one SQL definition (`baton_cap_state`,
 * packages/db/sql/spend.sql) computes the windows, what was spent in them and the sentence a
 * refusal shows; this module types its rows for the API, the CLI and the worker.
 */
import type pg from 'pg';
import type { SpendPeriod, SpendScope } from './schema/spend';

export interface CapState {
  capId: string;
  scope: SpendScope;
  teamId: string | null;
  userId: string | null;
  period: SpendPeriod;
  /** The cap, decimal USD. */
  usd: string;
  /** Spent in the current period, decimal USD. */
  spent: string;
  startsAt: Date;
  resetsAt: Date;
  setByOperator: boolean;
  reached: boolean;
  /** "the team's daily cap of $5.00 is reached ($5.0213 spent); it resets at …". */
  message: string;
}

type Q = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** A row of `CAP_COLUMNS` read from `baton_cap_state` (what `capStateOf` turns into a CapState). */
export interface CapRow {
  cap_id: string;
  scope: SpendScope;
  team_id: string | null;
  user_id: string | null;
  period: SpendPeriod;
  usd: string;
  spent: string;
  starts_at: Date;
  resets_at: Date;
  set_by_operator: boolean;
  reached: boolean;
  message: string;
}

export const capStateOf = (r: CapRow): CapState => ({
  capId: r.cap_id,
  scope: r.scope,
  teamId: r.team_id,
  userId: r.user_id,
  period: r.period,
  usd: r.usd,
  spent: r.spent,
  startsAt: r.starts_at,
  resetsAt: r.resets_at,
  setByOperator: r.set_by_operator,
  reached: r.reached,
  message: r.message,
});

/** The columns of `baton_cap_state` a CapRow holds (unqualified: they name the function's). */
export const CAP_COLUMNS = `cap_id, scope, team_id, user_id, period, usd::text as usd, spent::text as spent,
              starts_at, resets_at, set_by_operator, spent >= usd as reached, message`;

/** Every cap that applies to a task of `teamId` submitted by `userId`, strictest first. */
export async function capsFor(q: Q, teamId: string, userId: string | null): Promise<CapState[]> {
  const { rows } = await q.query<CapRow>(
    `select ${CAP_COLUMNS} from baton_cap_state($1, $2)
      order by (spent >= usd) desc, resets_at desc, usd asc`,
    [teamId, userId ?? ''],
  );
  return rows.map(capStateOf);
}

/** The first reached cap for a task of `teamId` by `userId`, if any. */
export async function reachedCap(
  q: Q,
  teamId: string,
  userId: string | null,
): Promise<CapState | undefined> {
  return (await capsFor(q, teamId, userId)).find((c) => c.reached);
}

/**
 * Every cap visible from a team (its own, its users', and the instance's), or every cap of the
 * instance when `teamId` is undefined, each with what its own scope spent.
 */
export async function listCaps(q: Q, teamId?: string): Promise<CapState[]> {
  const { rows } = await q.query<CapRow>(
    `select s.cap_id, s.scope, s.team_id, s.user_id, s.period, s.usd::text as usd,
            s.spent::text as spent, s.starts_at, s.resets_at, s.set_by_operator,
            s.spent >= s.usd as reached, s.message
       from spend_caps c
       cross join lateral baton_cap_state(c.team_id, coalesce(c.user_id, '')) s
      where s.cap_id = c.id and ($1::uuid is null or c.team_id = $1 or c.scope = 'instance')
      order by case s.scope when 'instance' then 0 when 'team' then 1 else 2 end, s.team_id,
               s.user_id, case s.period when 'daily' then 0 when 'weekly' then 1 else 2 end,
               s.set_by_operator desc`,
    [teamId ?? null],
  );
  return rows.map(capStateOf);
}
