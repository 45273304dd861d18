/**
 * Instance operators: the people who may change what every team shares (the
 * price table). The rule:
 *  - on embedded defaults, the demo user created by the first start is the
 *    operator (`ensureDemoAccount`);
 *  - otherwise the first account created on an instance that has no operator
 *    becomes one (Better Auth's user-create hook calls `claimOperatorIfNone`);
 *  - an existing instance got its first account made operator by migration 0010;
 *  - more operators: `baton operator grant <email>` (or `setOperator`).
 */
import type { Database } from '@baton/db/client';
import { users } from '@baton/db/schema';
import { eq, sql } from 'drizzle-orm';
import { AppError } from './errors';

// Serialises concurrent first sign-ups (both seeing "no operator").
const OPERATOR_LOCK = 728_145_102;

/** Makes `userId` the operator when the instance has none; true when it did. */
export async function claimOperatorIfNone(db: Database, userId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${OPERATOR_LOCK})`);
    const res = await tx.execute(
      sql`update ${users} set is_operator = true, updated_at = now()
           where id = ${userId} and not exists (select 1 from ${users} where is_operator)
           returning id`,
    );
    return res.rows.length > 0;
  });
}

export async function isOperator(db: Database, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ isOperator: users.isOperator })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row?.isOperator ?? false;
}

/** Grants or takes away the operator flag by email (the CLI's `baton operator`). */
export async function setOperator(
  db: Database,
  email: string,
  operator: boolean,
): Promise<{ userId: string }> {
  const [row] = await db
    .update(users)
    .set({ isOperator: operator, updatedAt: new Date() })
    .where(eq(users.email, email.toLowerCase()))
    .returning({ id: users.id });
  if (!row) throw new AppError('NOT_FOUND', `No user with the email ${email}.`, { field: 'email' });
  return { userId: row.id };
}
