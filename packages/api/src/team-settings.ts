/**
 * What an instance operator sets on a team — whether it may use the instance's provider key,
 * its fair-share weight, the ceiling of its concurrency quota — for `team.setOperatorSettings`
 * and `baton operator team`, so both refuse the same input the same way.
 */
import type { Database } from '@baton/db/client';
import { teams } from '@baton/db/schema';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from './errors';
import { parseInput } from './validate';

export const operatorTeamSettingsInput = z.object({
  /** May the team's tasks use the instance's provider key when the team has none of its own? */
  allowInstanceKey: z.boolean('Yes or no.').optional(),
  /** The team's share of the workers and rate limits against other teams. */
  shareWeight: z
    .number('Enter a share weight from 1 to 100.')
    .int('Use a whole number from 1 to 100.')
    .min(1, 'A share weight is at least 1.')
    .max(100, 'A share weight is at most 100.')
    .optional(),
  /** The highest concurrency quota the team's admins may set (a higher quota is lowered to it). */
  maxConcurrentCeiling: z
    .number('Enter a number of tasks from 1 to 1000.')
    .int('Use a whole number of tasks from 1 to 1000.')
    .min(1, 'The concurrency ceiling is at least 1 task.')
    .max(1000, 'The concurrency ceiling is at most 1000 tasks.')
    .optional(),
});
export type OperatorTeamSettingsInput = z.input<typeof operatorTeamSettingsInput>;

/** A team's operator settings, and the quota its admins set (never above the ceiling). */
export interface OperatorTeamSettings {
  id: string;
  slug: string;
  allowInstanceKey: boolean;
  shareWeight: number;
  maxConcurrentCeiling: number;
  maxConcurrentTasks: number;
}

const columns = {
  id: teams.id,
  slug: teams.slug,
  allowInstanceKey: teams.allowInstanceKey,
  shareWeight: teams.shareWeight,
  maxConcurrentCeiling: teams.maxConcurrentCeiling,
  maxConcurrentTasks: teams.maxConcurrentTasks,
};

/**
 * Changes what is given (nothing given: reads them). A new ceiling below the team's quota
 * lowers the quota to it, in the same statement. The caller checked that the actor is an
 * instance operator. Throws BAD_REQUEST naming the field, NOT_FOUND on `teamId`.
 */
export async function setOperatorTeamSettings(
  db: Database,
  teamId: string,
  input: OperatorTeamSettingsInput,
): Promise<OperatorTeamSettings> {
  const v = parseInput(operatorTeamSettingsInput, input);
  const changes = {
    ...(v.allowInstanceKey !== undefined && { allowInstanceKey: v.allowInstanceKey }),
    ...(v.shareWeight !== undefined && { shareWeight: v.shareWeight }),
    ...(v.maxConcurrentCeiling !== undefined && {
      maxConcurrentCeiling: v.maxConcurrentCeiling,
      maxConcurrentTasks: sql`least(${teams.maxConcurrentTasks}, ${v.maxConcurrentCeiling})`,
    }),
  };
  const [team] =
    Object.keys(changes).length === 0
      ? await db.select(columns).from(teams).where(eq(teams.id, teamId))
      : await db
          .update(teams)
          .set({ ...changes, updatedAt: new Date() })
          .where(eq(teams.id, teamId))
          .returning(columns);
  if (!team) throw new AppError('NOT_FOUND', 'Team not found.', { field: 'teamId' });
  return team;
}
