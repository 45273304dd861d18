/**
 * Spend caps (see `../budget.ts` for the rules, shared with `baton budget`): list a team's
 * caps, set and remove them, and the signed-in user's overview across their teams.
 */
import {
  budgetOverview,
  listSpendCaps,
  removeSpendCap,
  type SpendCapActor,
  type SpendCapKeyInput,
  setSpendCap,
  setSpendCapInput,
  spendCapKeyInput,
} from '../budget';
import { isOperator } from '../operator';
import { roleAtLeast } from '../roles';
import {
  type Context,
  createTRPCRouter,
  protectedProcedure,
  requireTeamRole,
  type SessionUser,
  teamProcedure,
} from '../trpc';

/**
 * Who may change the cap: an operator any cap; otherwise an admin of the team for its team and
 * user caps (another team is NOT_FOUND, a lower role FORBIDDEN). Instance caps and ceilings by a
 * non-operator are refused by `setSpendCap` / `removeSpendCap` themselves (FORBIDDEN).
 */
async function actorFor(
  ctx: Pick<Context, 'db'> & { session: { user: SessionUser } },
  key: Pick<SpendCapKeyInput, 'scope' | 'teamId' | 'ceiling'>,
): Promise<SpendCapActor> {
  const userId = ctx.session.user.id;
  const operator = await isOperator(ctx.db, userId);
  if (!operator && key.scope !== 'instance' && !key.ceiling && key.teamId)
    await requireTeamRole(ctx.db, userId, key.teamId, 'admin');
  return { operator, userId };
}

export const budgetRouter = createTRPCRouter({
  /**
   * Every cap visible to the team (viewer): the instance's, the team's (an operator's ceilings
   * included) and its members', each with what its scope spent this period and when it resets.
   * `canEdit`: team and user caps (admin, or operator); `isOperator`: instance caps and ceilings.
   */
  list: teamProcedure('viewer').query(async ({ ctx }) => {
    const operator = await isOperator(ctx.db, ctx.session.user.id);
    return {
      caps: await listSpendCaps(ctx.db, ctx.team.id),
      canEdit: operator || roleAtLeast(ctx.role, 'admin'),
      isOperator: operator,
    };
  }),

  /**
   * Sets a cap: scope team or user (a member) in a team — its admins, up to an operator's
   * ceiling of the same period (a field error on `usd` naming it); scope instance, or
   * `ceiling: true` on a team — operators only. Returns the cap with its use.
   */
  set: protectedProcedure
    .input(setSpendCapInput)
    .mutation(async ({ ctx, input }) => setSpendCap(ctx.db, input, await actorFor(ctx, input))),

  /** Removes a cap, by the same rules (a team's admins cannot remove an operator's ceiling). */
  remove: protectedProcedure
    .input(spendCapKeyInput)
    .mutation(async ({ ctx, input }) => removeSpendCap(ctx.db, input, await actorFor(ctx, input))),

  /** For each of the signed-in user's teams: the caps that apply to their tasks, use and reset. */
  overview: protectedProcedure.query(async ({ ctx }) => ({
    teams: await budgetOverview(ctx.db, ctx.session.user.id),
  })),
});
