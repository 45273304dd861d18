/**
 * Sign-in attempts limited per account and per client address, in PostgreSQL so every web
 * process shares the counters: a fixed window each (`auth_attempts`), one statement per attempt
 * counting both, the account's counter cleared by a successful sign-in.
 */
import type { Database } from '@baton/db/client';
import { sql } from 'drizzle-orm';

export interface SignInLimits {
  /** Attempts per account (email) per window. Default 10. */
  perAccount: number;
  /** Attempts per client address per window. Default 30. */
  perAddress: number;
  /** The window, seconds. Default 900 (15 minutes). */
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAccount: 10,
  perAddress: 30,
  windowSeconds: 900,
};

export interface SignInVerdict {
  allowed: boolean;
  /** Seconds until the window that refused it ends. */
  retryAfterSeconds: number;
  /** What refused it. */
  by?: 'account' | 'address';
}

const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;

/** Counts one attempt for the account and the address; refused once either is over its limit. */
export async function countSignInAttempt(
  db: Database,
  o: { email: string; address?: string | undefined },
  limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
): Promise<SignInVerdict> {
  const keys = [accountKey(o.email), ...(o.address ? [`address:${o.address}`] : [])];
  const window = `${limits.windowSeconds} seconds`;
  const { rows } = await db.execute<{ key: string; attempts: number; seconds_left: number }>(sql`
    insert into auth_attempts as a (key, window_start, attempts)
    values ${sql.join(
      keys.map((k) => sql`(${k}, now(), 1)`),
      sql`, `,
    )}
    on conflict (key) do update set
      attempts = case when a.window_start <= now() - ${window}::interval then 1 else a.attempts + 1 end,
      window_start = case when a.window_start <= now() - ${window}::interval then now() else a.window_start end
    returning key, attempts,
      ceil(extract(epoch from (window_start + ${window}::interval - now())))::int as seconds_left`);
  let verdict: SignInVerdict = { allowed: true, retryAfterSeconds: 0 };
  for (const r of rows) {
    const isAccount = r.key.startsWith('account:');
    const max = isAccount ? limits.perAccount : limits.perAddress;
    if (r.attempts > max && r.seconds_left > verdict.retryAfterSeconds)
      verdict = {
        allowed: false,
        retryAfterSeconds: Math.max(1, r.seconds_left),
        by: isAccount ? 'account' : 'address',
      };
  }
  return verdict;
}

/** A successful sign-in: the account starts afresh (its address's count stays). */
export async function clearSignInAttempts(db: Database, email: string): Promise<void> {
  await db.execute(sql`delete from auth_attempts where key = ${accountKey(email)}`);
}
