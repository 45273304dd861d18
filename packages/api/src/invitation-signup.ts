/**
 * An invitation used to create an account is used up by it: the sign-up claims the pending
 * invitation (one statement: whoever claims it first has it) before the account is written,
 * then the new account joins the team with the invitation's role.
 */
import type { Database } from '@baton/db/client';
import { invitations, memberships } from '@baton/db/schema';
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { hashInvitationToken } from './invitation-token';

export async function claimInvitationForSignUp(
  db: Database,
  token: string,
  email: string,
): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return false;
  const claimed = await db
    .update(invitations)
    .set({ acceptedAt: sql`now()` })
    .where(
      and(
        eq(invitations.tokenHash, hashInvitationToken(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, sql`now()`),
        or(isNull(invitations.email), eq(invitations.email, email.trim().toLowerCase())),
      ),
    )
    .returning({ id: invitations.id });
  return claimed.length === 1;
}

/** The new account joins the claimed invitation's team (once; a second call changes nothing). */
export async function completeInvitationSignUp(db: Database, token: string, userId: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return;
  await db.transaction(async (tx) => {
    const [inv] = await tx
      .update(invitations)
      .set({ acceptedBy: userId })
      .where(
        and(
          eq(invitations.tokenHash, hashInvitationToken(token)),
          isNull(invitations.acceptedBy),
          sql`${invitations.acceptedAt} is not null`,
        ),
      )
      .returning({ teamId: invitations.teamId, role: invitations.role });
    if (inv)
      await tx
        .insert(memberships)
        .values({ teamId: inv.teamId, userId, role: inv.role })
        .onConflictDoNothing();
  });
}
