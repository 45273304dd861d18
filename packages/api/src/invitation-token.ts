/**
 * Invitation tokens: 32 random bytes in the link, only their SHA-256 stored.
 * Shared by the invitation router and the sign-up gate in `auth.ts` (an
 * invitation link lets its holder create an account on a server whose
 * sign-up is otherwise closed).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '@baton/db/client';
import { invitations } from '@baton/db/schema';
import { eq } from 'drizzle-orm';

/** 32 random bytes, base64url: the secret part of the link. */
export function newInvitationToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export function invitationStatus(
  row: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now = new Date(),
): InvitationStatus {
  if (row.acceptedAt) return 'accepted';
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}

/** The header the sign-up form sends when the visitor came from an invitation link. */
export const INVITATION_HEADER = 'x-baton-invitation';

/**
 * Whether `token` is a pending invitation `email` may use (unbound, or bound
 * to that email): what lets someone sign up while sign-up is closed.
 */
export async function invitationAllowsSignUp(
  db: Database,
  token: string,
  email: string,
): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return false;
  const [row] = await db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, hashInvitationToken(token)))
    .limit(1);
  if (!row || invitationStatus(row) !== 'pending') return false;
  return row.email === null || row.email === email.trim().toLowerCase();
}
