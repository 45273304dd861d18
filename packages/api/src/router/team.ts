import type { Database } from '@baton/db/client';
import { memberships, providerCredentials, teams, users } from '@baton/db/schema';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { monthlyTeamCap, setMonthlyTeamCap } from '../budget';
import { AppError, isUniqueViolation } from '../errors';
import { ROLES, type Role, roleAtLeast } from '../roles';
import { TASK_BUDGET_USD, TASK_MAX_TURNS, TASK_TIMEOUT_MS } from '../submission';
import { operatorTeamSettingsInput, setOperatorTeamSettings } from '../team-settings';
import {
  createTRPCRouter,
  operatorOnly,
  protectedProcedure,
  teamInput,
  teamProcedure,
} from '../trpc';

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** "Platform Team!" → "platform-team". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
}

export const createTeamInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Enter a team name.')
    .max(80, 'Keep the name to 80 characters or fewer.'),
  slug: z
    .string()
    .trim()
    .regex(
      SLUG_PATTERN,
      'Use lowercase letters, digits and dashes (start with a letter or digit, at most 63).',
    )
    .optional(),
});

export const updateTeamInput = z.object({
  name: createTeamInput.shape.name.optional(),
  maxConcurrentTasks: z
    .number()
    .int('Use a whole number.')
    .min(1, 'At least 1.')
    .max(1000, 'At most 1000.')
    .optional(),
  /**
   * The team's monthly team cap (a spend cap set by its admins; `budget.*` has every cap):
   * null removes it; never above an operator's monthly ceiling for the team.
   */
  monthlyBudgetUsd: z
    .number()
    .positive('Use a positive amount, or none.')
    .max(1e9, 'At most $1,000,000,000.')
    .refine((v) => /^\d+(\.\d{1,4})?$/.test(String(v)), 'Use at most 4 decimals.')
    .nullable()
    .optional(),
  /** What a task of the team that names none gets (null: none, the backend's, the worker's). */
  defaultTaskBudgetUsd: TASK_BUDGET_USD.refine(
    (v) => /^\d+(\.\d{1,6})?$/.test(String(v)),
    'Use at most 6 decimals.',
  )
    .nullable()
    .optional(),
  defaultMaxTurns: TASK_MAX_TURNS.nullable().optional(),
  defaultTimeoutMs: TASK_TIMEOUT_MS.nullable().optional(),
});

/** A team row as the procedures return it: the monthly budget is the team's monthly cap. */
function teamOut<T extends object>(team: T, monthlyBudgetUsd: string | null) {
  return { ...team, monthlyBudgetUsd };
}

const memberInput = z.object({ userId: z.string().trim().min(1, 'Choose a member.').max(200) });

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * Locks the team's memberships (team row lock: every membership change of a
 * team goes through it) and returns the target's role and the owner count.
 */
async function lockMembership(tx: Tx, teamId: string, userId: string, actorId: string) {
  await tx.execute(sql`select 1 from ${teams} where ${teams.id} = ${teamId} for update`);
  // The actor's role as of now (it may have changed since the middleware looked).
  const [actor] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, actorId)))
    .limit(1);
  if (!actor) throw new AppError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
  if (!roleAtLeast(actor.role, 'admin')) {
    throw new AppError('FORBIDDEN', 'This needs the admin role or higher.', {
      requiredRole: 'admin',
      role: actor.role,
    });
  }
  const [target] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
    .limit(1);
  if (!target) throw new AppError('NOT_FOUND', 'Not a member of this team.', { field: 'userId' });
  const [owners] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.teamId, teamId), eq(memberships.role, 'owner')));
  return { actor: actor.role, role: target.role, owners: owners?.n ?? 0 };
}

/**
 * The membership rules: admins and owners manage members; only owners make,
 * demote or remove owners; a team never loses its last owner.
 */
function checkChange(actor: Role, from: Role, to: Role | null, owners: number) {
  if ((from === 'owner' || to === 'owner') && actor !== 'owner') {
    throw new AppError(
      'FORBIDDEN',
      to === 'owner' ? 'Only owners can make someone an owner.' : 'Only owners can change owners.',
      { field: to === null ? 'userId' : 'role' },
    );
  }
  if (from === 'owner' && to !== 'owner' && owners <= 1) {
    throw new AppError(
      'CONFLICT',
      'A team needs at least one owner: make someone else an owner first.',
      { field: to === null ? 'userId' : 'role' },
    );
  }
}

export const teamRouter = createTRPCRouter({
  /** The teams the signed-in user belongs to, with their role, member count and open alerts. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const memberCount =
      sql<number>`(select count(*) from ${memberships} m where m.team_id = ${teams.id})`.mapWith(
        Number,
      );
    const openAlerts =
      sql<number>`(select count(*) from alerts a where a.team_id = ${teams.id} and a.state = 'open')`.mapWith(
        Number,
      );
    return ctx.db
      .select({
        id: teams.id,
        name: teams.name,
        slug: teams.slug,
        role: memberships.role,
        memberCount,
        /** Alerts of the team firing now (the console shows a badge). */
        openAlerts,
        createdAt: teams.createdAt,
      })
      .from(memberships)
      .innerJoin(teams, eq(teams.id, memberships.teamId))
      .where(eq(memberships.userId, ctx.session.user.id))
      .orderBy(asc(teams.name));
  }),

  /**
   * The team: name, slug, concurrency quota (`maxConcurrentTasks`) and the operator's settings
   * (`maxConcurrentCeiling`, `allowInstanceKey`, `shareWeight`), `monthlyBudgetUsd` (the monthly
   * team cap, decimal string or null), `hasOwnKey` (a provider credential is saved), the
   * caller's role and the member count.
   */
  get: teamProcedure('viewer').query(async ({ ctx }) => {
    const [members] = await ctx.db
      .select({ n: count() })
      .from(memberships)
      .where(eq(memberships.teamId, ctx.team.id));
    const [key] = await ctx.db
      .select({ id: providerCredentials.id })
      .from(providerCredentials)
      .where(eq(providerCredentials.teamId, ctx.team.id))
      .limit(1);
    return {
      ...teamOut(ctx.team, await monthlyTeamCap(ctx.db, ctx.team.id)),
      hasOwnKey: Boolean(key),
      role: ctx.role,
      memberCount: members?.n ?? 0,
    };
  }),

  /** Creates a team; its creator becomes the owner. */
  create: protectedProcedure.input(createTeamInput).mutation(async ({ ctx, input }) => {
    const slug = input.slug ?? slugify(input.name);
    if (!SLUG_PATTERN.test(slug)) {
      throw new AppError('BAD_REQUEST', 'Choose a slug: the name gives none.', { field: 'slug' });
    }
    try {
      return await ctx.db.transaction(async (tx) => {
        const [team] = await tx.insert(teams).values({ name: input.name, slug }).returning();
        await tx
          .insert(memberships)
          .values({ teamId: team!.id, userId: ctx.session.user.id, role: 'owner' });
        return { ...teamOut(team!, null), role: 'owner' as const };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'teams_slug_key')) {
        throw new AppError('CONFLICT', `The slug "${slug}" is taken.`, { field: 'slug' });
      }
      throw err;
    }
  }),

  /**
   * Renames a team or changes its limits (admin or owner): `maxConcurrentTasks` up to the
   * operator's ceiling (`maxConcurrentCeiling`), `monthlyBudgetUsd` the monthly team cap (null
   * removes it; above the operator's monthly ceiling: a field error), and the defaults a task
   * that names none gets (`defaultTaskBudgetUsd`, `defaultMaxTurns`, `defaultTimeoutMs`; null
   * clears one), which the task insert applies. One transaction.
   */
  update: teamProcedure('admin')
    .input(updateTeamInput)
    .mutation(async ({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const [locked] = await tx
          .select({ ceiling: teams.maxConcurrentCeiling })
          .from(teams)
          .where(eq(teams.id, ctx.team.id))
          .for('update');
        if (!locked) throw new AppError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
        if (input.maxConcurrentTasks !== undefined && input.maxConcurrentTasks > locked.ceiling)
          throw new AppError(
            'BAD_REQUEST',
            `At most ${locked.ceiling}: the ceiling an instance operator set for this team.`,
            { field: 'maxConcurrentTasks', ceiling: locked.ceiling },
          );
        const [team] = await tx
          .update(teams)
          .set({
            ...(input.name !== undefined && { name: input.name }),
            ...(input.maxConcurrentTasks !== undefined && {
              maxConcurrentTasks: input.maxConcurrentTasks,
            }),
            ...(input.defaultTaskBudgetUsd !== undefined && {
              defaultTaskBudgetUsd:
                input.defaultTaskBudgetUsd === null ? null : input.defaultTaskBudgetUsd.toFixed(6),
            }),
            ...(input.defaultMaxTurns !== undefined && { defaultMaxTurns: input.defaultMaxTurns }),
            ...(input.defaultTimeoutMs !== undefined && {
              defaultTimeoutMs: input.defaultTimeoutMs,
            }),
            updatedAt: new Date(),
          })
          .where(eq(teams.id, ctx.team.id))
          .returning();
        const monthly =
          input.monthlyBudgetUsd !== undefined
            ? await setMonthlyTeamCap(tx, ctx.team.id, input.monthlyBudgetUsd, ctx.session.user.id)
            : await monthlyTeamCap(tx, ctx.team.id);
        return { ...teamOut(team!, monthly), role: ctx.role };
      }),
    ),

  /**
   * An instance operator's settings for a team (operators only, members of the team or not):
   * whether it may use the instance's provider key, its fair-share weight (1–100) and the
   * ceiling of its concurrency quota (a quota above a new ceiling is lowered to it).
   */
  setOperatorSettings: protectedProcedure
    .input(teamInput.extend(operatorTeamSettingsInput.shape))
    .use(operatorOnly("a team's key permission, share weight and concurrency ceiling"))
    .mutation(({ ctx, input }) => {
      const { teamId, ...settings } = input;
      return setOperatorTeamSettings(ctx.db, teamId, settings);
    }),

  members: teamProcedure('viewer').query(({ ctx }) =>
    ctx.db
      .select({
        userId: users.id,
        name: users.name,
        email: users.email,
        image: users.image,
        role: memberships.role,
        joinedAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.teamId, ctx.team.id))
      .orderBy(
        sql`case ${memberships.role} when 'owner' then 0 when 'admin' then 1 when 'member' then 2 else 3 end`,
        asc(users.name),
      ),
  ),

  /** Changes a member's role (admin or owner; owners only for anything touching the owner role). */
  setRole: teamProcedure('admin')
    .input(memberInput.extend({ role: z.enum(ROLES, 'Choose a role.') }))
    .mutation(async ({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const target = await lockMembership(tx, ctx.team.id, input.userId, ctx.session.user.id);
        checkChange(target.actor, target.role, input.role, target.owners);
        await tx
          .update(memberships)
          .set({ role: input.role })
          .where(and(eq(memberships.teamId, ctx.team.id), eq(memberships.userId, input.userId)));
        return { userId: input.userId, role: input.role, previousRole: target.role };
      }),
    ),

  /** Removes a member from the team (admin or owner; only owners remove owners; never the last owner). */
  removeMember: teamProcedure('admin')
    .input(memberInput)
    .mutation(async ({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const target = await lockMembership(tx, ctx.team.id, input.userId, ctx.session.user.id);
        checkChange(target.actor, target.role, null, target.owners);
        await tx
          .delete(memberships)
          .where(and(eq(memberships.teamId, ctx.team.id), eq(memberships.userId, input.userId)));
        return { removed: input.userId };
      }),
    ),
});
