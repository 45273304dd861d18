/**
 * A team's bearer tokens for Baton's MCP server: created by an admin (the token is returned once,
 * only its hash is kept), listed with their last use, revoked. Tokens the worker mints for a
 * Claude Code task (`taskId` set) are listed too, so an admin can revoke one.
 */
import { newMcpToken } from '@baton/db/mcp-tokens';
import { mcpTokens, users } from '@baton/db/schema';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../errors';
import { createTRPCRouter, teamProcedure } from '../trpc';

export const createMcpTokenInput = z.object({
  name: z
    .string('Name the token.')
    .trim()
    .min(1, 'Name the token.')
    .max(100, 'Keep the name to 100 characters.'),
});

const tokenIdInput = z.object({ tokenId: z.uuid('Not a valid token id.') });

export const mcpTokenRouter = createTRPCRouter({
  /** A new token for the team; `token` is shown this once and never again. */
  create: teamProcedure('admin')
    .input(createMcpTokenInput)
    .mutation(async ({ ctx, input }) => {
      const minted = newMcpToken();
      const [row] = await ctx.db
        .insert(mcpTokens)
        .values({
          teamId: ctx.team.id,
          name: input.name,
          tokenHash: minted.hash,
          prefix: minted.prefix,
          createdBy: ctx.session.user.id,
        })
        .returning({
          id: mcpTokens.id,
          name: mcpTokens.name,
          prefix: mcpTokens.prefix,
          createdAt: mcpTokens.createdAt,
        });
      return { ...row!, token: minted.token };
    }),

  /** The team's tokens, newest first — never their hashes. */
  list: teamProcedure('admin').query(async ({ ctx }) => {
    return ctx.db
      .select({
        id: mcpTokens.id,
        name: mcpTokens.name,
        prefix: mcpTokens.prefix,
        createdBy: users.name,
        taskId: mcpTokens.taskId,
        createdAt: mcpTokens.createdAt,
        lastUsedAt: mcpTokens.lastUsedAt,
        expiresAt: mcpTokens.expiresAt,
        revokedAt: mcpTokens.revokedAt,
      })
      .from(mcpTokens)
      .leftJoin(users, eq(users.id, mcpTokens.createdBy))
      .where(eq(mcpTokens.teamId, ctx.team.id))
      .orderBy(desc(mcpTokens.createdAt), desc(mcpTokens.id))
      .limit(500);
  }),

  /** Revokes a token at once (its next request is refused); revoking it again changes nothing. */
  revoke: teamProcedure('admin')
    .input(tokenIdInput)
    .mutation(async ({ ctx, input }) => {
      const [revoked] = await ctx.db
        .update(mcpTokens)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(mcpTokens.id, input.tokenId),
            eq(mcpTokens.teamId, ctx.team.id),
            isNull(mcpTokens.revokedAt),
          ),
        )
        .returning({ id: mcpTokens.id, revokedAt: mcpTokens.revokedAt });
      if (revoked) return { id: revoked.id, revokedAt: revoked.revokedAt! };
      const [already] = await ctx.db
        .select({ id: mcpTokens.id, revokedAt: mcpTokens.revokedAt })
        .from(mcpTokens)
        .where(and(eq(mcpTokens.id, input.tokenId), eq(mcpTokens.teamId, ctx.team.id)));
      if (!already)
        throw new AppError('NOT_FOUND', 'No such token in this team.', { field: 'tokenId' });
      return { id: already.id, revokedAt: already.revokedAt! };
    }),
});
