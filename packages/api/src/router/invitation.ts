/**
 * Invitations by link. An admin (or owner) creates one for a role, optionally
 * bound to an email, with an expiry; the answer carries the token once — only
 * its SHA-256 is stored, so a lost link cannot be shown again, only revoked
 * and replaced. Anyone signed in who opens a valid link (`/invite/<token>`)
 * may join the team with that role; an invitation is used at most once, and a
 * revoked or expired one is refused.
 */
import { invitations, memberships, teams, users } from '@baton/db/schema';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { AppError } from '../errors';
import { hashInvitationToken, invitationStatus, newInvitationToken } from '../invitation-token';
import { ROLES, type Role } from '../roles';
import { createTRPCRouter, protectedProcedure, teamProcedure } from '../trpc';

export { hashInvitationToken, invitationStatus, newInvitationToken };

export const createInvitationInput = z.object({
  role: z.enum(ROLES, 'Choose a role.'),
  email: z
    .email('Enter a valid email address, or leave it empty.')
    .max(320)
    .transform((e) => e.toLowerCase())
    .optional(),
  expiresInHours: z
    .number({ error: 'Choose how long the link stays valid.' })
    .int('Use whole hours.')
    .min(1, 'At least 1 hour.')
    .max(30 * 24, 'At most 30 days.')
    .default(7 * 24),
});

const tokenInput = z.object({
  token: z
    .string({ error: 'The invitation link is incomplete.' })
    .trim()
    .regex(/^[A-Za-z0-9_-]{20,100}$/, 'This is not an invitation link.'),
});

const invalidLink = () =>
  new AppError('NOT_FOUND', 'This invitation link is not valid.', { field: 'token' });

const creators = alias(users, 'invitation_creators');
const acceptors = alias(users, 'invitation_acceptors');

export const invitationRouter = createTRPCRouter({
  /** The team's invitations, newest first (never their tokens: only hashes are stored). */
  list: teamProcedure('viewer').query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({
        id: invitations.id,
        role: invitations.role,
        email: invitations.email,
        expiresAt: invitations.expiresAt,
        createdAt: invitations.createdAt,
        acceptedAt: invitations.acceptedAt,
        revokedAt: invitations.revokedAt,
        createdByName: creators.name,
        acceptedByName: acceptors.name,
      })
      .from(invitations)
      .leftJoin(creators, eq(creators.id, invitations.createdBy))
      .leftJoin(acceptors, eq(acceptors.id, invitations.acceptedBy))
      .where(eq(invitations.teamId, ctx.team.id))
      .orderBy(desc(invitations.createdAt))
      .limit(100);
    const now = new Date();
    return rows.map((r) => ({ ...r, status: invitationStatus(r, now) }));
  }),

  /**
   * Creates an invitation and returns its token — the only time it is ever
   * available. Admins invite up to admin; only owners may invite owners.
   */
  create: teamProcedure('admin')
    .input(createInvitationInput)
    .mutation(async ({ ctx, input }) => {
      if (input.role === 'owner' && ctx.role !== 'owner') {
        throw new AppError('FORBIDDEN', 'Only owners can invite owners.', { field: 'role' });
      }
      const token = newInvitationToken();
      const expiresAt = new Date(Date.now() + input.expiresInHours * 3_600_000);
      const [row] = await ctx.db
        .insert(invitations)
        .values({
          teamId: ctx.team.id,
          role: input.role,
          email: input.email ?? null,
          tokenHash: hashInvitationToken(token),
          createdBy: ctx.session.user.id,
          expiresAt,
        })
        .returning({
          id: invitations.id,
          role: invitations.role,
          email: invitations.email,
          expiresAt: invitations.expiresAt,
        });
      return { ...row!, token, path: `/invite/${token}` };
    }),

  /** Revokes a pending invitation: its link stops working at once. */
  revoke: teamProcedure('admin')
    .input(z.object({ invitationId: z.uuid('Not a valid invitation id.') }))
    .mutation(async ({ ctx, input }) => {
      const [row] = await ctx.db
        .select()
        .from(invitations)
        .where(and(eq(invitations.id, input.invitationId), eq(invitations.teamId, ctx.team.id)))
        .limit(1);
      if (!row) throw new AppError('NOT_FOUND', 'Invitation not found.', { field: 'invitationId' });
      if (row.role === 'owner' && ctx.role !== 'owner') {
        throw new AppError('FORBIDDEN', 'Only owners can revoke an invitation for an owner.', {
          field: 'invitationId',
        });
      }
      if (row.acceptedAt) {
        throw new AppError('CONFLICT', 'This invitation was already used.', {
          field: 'invitationId',
        });
      }
      const [updated] = await ctx.db
        .update(invitations)
        .set({ revokedAt: sql`coalesce(${invitations.revokedAt}, now())` })
        .where(and(eq(invitations.id, row.id), isNull(invitations.acceptedAt)))
        .returning({ id: invitations.id, revokedAt: invitations.revokedAt });
      if (!updated) {
        throw new AppError('CONFLICT', 'This invitation was already used.', {
          field: 'invitationId',
        });
      }
      return updated;
    }),

  /** What a link invites to (for the invitation page); any signed-in user holding the token. */
  preview: protectedProcedure.input(tokenInput).query(async ({ ctx, input }) => {
    const [row] = await ctx.db
      .select({ invitation: invitations, teamName: teams.name })
      .from(invitations)
      .innerJoin(teams, eq(teams.id, invitations.teamId))
      .where(eq(invitations.tokenHash, hashInvitationToken(input.token)))
      .limit(1);
    if (!row) throw invalidLink();
    const inv = row.invitation;
    const [member] = await ctx.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.teamId, inv.teamId), eq(memberships.userId, ctx.session.user.id)))
      .limit(1);
    const status = invitationStatus(inv);
    const wrongEmail =
      inv.email !== null && inv.email !== ctx.session.user.email.toLowerCase() ? inv.email : null;
    return {
      teamName: row.teamName,
      role: inv.role,
      status,
      expiresAt: inv.expiresAt,
      /** Set when the invitation is for another email than the signed-in user's. */
      forEmail: wrongEmail,
      /** The team id only once the user may see the team (already a member). */
      teamId: member ? inv.teamId : null,
      memberRole: (member?.role ?? null) as Role | null,
    };
  }),

  /**
   * Joins the team with the invitation's role. Exactly once: the row is locked
   * and marked used in the same transaction as the membership is created.
   */
  accept: protectedProcedure.input(tokenInput).mutation(async ({ ctx, input }) => {
    const userId = ctx.session.user.id;
    return ctx.db.transaction(async (tx) => {
      const [inv] = await tx
        .select()
        .from(invitations)
        .where(eq(invitations.tokenHash, hashInvitationToken(input.token)))
        .for('update')
        .limit(1);
      if (!inv) throw invalidLink();
      const [member] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.teamId, inv.teamId), eq(memberships.userId, userId)))
        .limit(1);
      if (member) {
        // Already in the team: nothing to do, and the link stays usable for whom it was meant.
        return { teamId: inv.teamId, role: member.role, joined: false };
      }
      const status = invitationStatus(inv);
      if (status === 'accepted')
        throw new AppError('CONFLICT', 'This invitation has already been used.', {
          field: 'token',
        });
      if (status === 'revoked')
        throw new AppError('FORBIDDEN', 'This invitation was revoked.', { field: 'token' });
      if (status === 'expired')
        throw new AppError('FORBIDDEN', 'This invitation has expired.', { field: 'token' });
      if (inv.email !== null && inv.email !== ctx.session.user.email.toLowerCase()) {
        throw new AppError(
          'FORBIDDEN',
          `This invitation is for ${inv.email}; sign in with that account to accept it.`,
          { field: 'token' },
        );
      }
      await tx.insert(memberships).values({ teamId: inv.teamId, userId, role: inv.role });
      await tx
        .update(invitations)
        .set({ acceptedBy: userId, acceptedAt: new Date() })
        .where(eq(invitations.id, inv.id));
      return { teamId: inv.teamId, role: inv.role, joined: true };
    });
  }),
});
