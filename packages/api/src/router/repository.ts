/**
 * Team repositories (Settings → Repositories): git repositories a claude-code task may ask for
 * as its workspace. The logic is `../repositories.ts`, shared with `baton repo …`.
 */
import { z } from 'zod';
import {
  addRepository,
  addRepositoryInput,
  checkRefInput,
  checkRepositoryRef,
  listRepositories,
  removeRepository,
} from '../repositories';
import { createTRPCRouter, teamProcedure } from '../trpc';

export const repositoryRouter = createTRPCRouter({
  /** The team's repositories, by name. */
  list: teamProcedure('viewer').query(({ ctx }) => listRepositories(ctx.db, ctx.team.id)),

  /**
   * Registers a repository (admin or higher): its source checked (an https/http/git URL
   * without credentials, or a path under BATON_REPOS_DIRS) and its default ref resolved.
   * Returns the row and the default ref's commit.
   */
  add: teamProcedure('admin')
    .input(addRepositoryInput)
    .mutation(({ ctx, input, signal }) =>
      addRepository(ctx.db, ctx.team.id, input, {
        createdBy: ctx.session.user.id,
        repoRoots: ctx.repoRoots,
        signal,
      }),
    ),

  /** Removes a repository (admin or higher); tasks already queued on it then fail to start. */
  remove: teamProcedure('admin')
    .input(z.object({ repositoryId: z.uuid('Not a valid repository id.') }))
    .mutation(({ ctx, input }) =>
      removeRepository(ctx.db, ctx.team.id, { repositoryId: input.repositoryId }),
    ),

  /**
   * The submit form's live check (member or higher, like submitting): the commit `ref`
   * (default: the repository's default ref) names in the team's repository `repository`.
   */
  checkRef: teamProcedure('member')
    .input(checkRefInput)
    .query(({ ctx, input, signal }) =>
      checkRepositoryRef(ctx.db, ctx.team.id, input, { repoRoots: ctx.repoRoots, signal }),
    ),
});
