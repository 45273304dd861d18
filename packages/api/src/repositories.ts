/**
 * Team repositories: git repositories a team admin registered, which a claude-code task may
 * ask for as its workspace (a fresh clone at a ref). One implementation for the console
 * (`repository.*` procedures) and the CLI (`baton repo …`), so both refuse the same way.
 * Source and ref checks are @baton/core's (`parseRepositorySource`, `resolveRef`): the
 * workers run the same ones when they clone.
 */
import {
  parseRepositorySource,
  RepositoryError,
  type RepositorySource,
  resolveRef,
} from '@baton/core';
import type { Database } from '@baton/db/client';
import { teamRepositories } from '@baton/db/schema';
import { and, asc, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { repositoryRoots } from './env';
import { AppError, isUniqueViolation } from './errors';
import { fieldError, parseInput } from './validate';

/** At most this many repositories per team. */
export const MAX_TEAM_REPOSITORIES = 100;

export const REPOSITORY_NAME = z
  .string({ error: 'Name the repository.' })
  .trim()
  .min(1, 'Name the repository.')
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'Lowercase letters, digits, . _ - (up to 63).');

/** A ref as typed; empty means "the default". */
const REF = z
  .string({ error: 'Enter a branch, tag or commit.' })
  .trim()
  .max(200, 'A ref has at most 200 characters.');

export const addRepositoryInput = z.object({
  name: REPOSITORY_NAME,
  source: z
    .string({ error: 'Enter a repository URL or path.' })
    .trim()
    .min(1, 'Enter a repository URL or path.')
    .max(2000, 'A repository source has at most 2,000 characters.'),
  /** The ref tasks get when they name none; empty or absent: HEAD. */
  defaultRef: REF.optional(),
});
export type AddRepositoryInput = z.input<typeof addRepositoryInput>;

export const checkRefInput = z.object({
  repository: REPOSITORY_NAME,
  /** Empty or absent: the repository's default ref. */
  ref: REF.optional(),
});
export type CheckRefInput = z.input<typeof checkRefInput>;

export interface RepositoryOptions {
  /** Folders local repositories may come from (default: BATON_REPOS_DIRS). */
  repoRoots?: string[];
  signal?: AbortSignal;
}

/** What lists show of a repository. */
export const repositoryColumns = {
  id: teamRepositories.id,
  name: teamRepositories.name,
  source: teamRepositories.source,
  defaultRef: teamRepositories.defaultRef,
  createdAt: teamRepositories.createdAt,
};

export interface RepositorySummary {
  id: string;
  name: string;
  source: string;
  defaultRef: string;
  createdAt: Date;
}

/** A team's repositories, by name. */
export function listRepositories(db: Database, teamId: string): Promise<RepositorySummary[]> {
  return db
    .select(repositoryColumns)
    .from(teamRepositories)
    .where(eq(teamRepositories.teamId, teamId))
    .orderBy(asc(teamRepositories.name));
}

/**
 * Maps core's RepositoryError to a field error: `source` problems to `sourceField`, ref
 * problems to `refField`; anything else is rethrown.
 */
export function repositoryFieldError(err: unknown, sourceField: string, refField: string): never {
  if (err instanceof RepositoryError)
    throw fieldError(err.field === 'source' ? sourceField : refField, err.message);
  throw err;
}

/** The ref's commit (`null` when git cannot say, e.g. a full commit id on a remote). */
async function commitOf(
  source: RepositorySource,
  ref: string,
  fields: { source: string; ref: string },
  signal: AbortSignal | undefined,
): Promise<string | null> {
  try {
    return (await resolveRef(source, ref, { signal })).commit ?? null;
  } catch (err) {
    return repositoryFieldError(err, fields.source, fields.ref);
  }
}

/**
 * Registers a repository in a team (the caller has checked the admin role): the name checked
 * and free, the source through `parseRepositorySource` (field `source`), the default ref
 * through `resolveRef` (field `defaultRef`). A URL is stored as typed (trimmed), a local path
 * as its real path.
 */
export async function addRepository(
  db: Database,
  teamId: string,
  input: AddRepositoryInput,
  o: RepositoryOptions & { createdBy?: string | null } = {},
): Promise<RepositorySummary & { commit: string | null }> {
  const v = parseInput(addRepositoryInput, input);
  const defaultRef = v.defaultRef || 'HEAD';
  const [existing] = await db
    .select({ id: teamRepositories.id })
    .from(teamRepositories)
    .where(and(eq(teamRepositories.teamId, teamId), eq(teamRepositories.name, v.name)));
  if (existing) throw taken(v.name);
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(teamRepositories)
    .where(eq(teamRepositories.teamId, teamId));
  if (n >= MAX_TEAM_REPOSITORIES)
    throw new AppError(
      'CONFLICT',
      `A team has at most ${MAX_TEAM_REPOSITORIES} repositories; remove one first.`,
      { field: 'name' },
    );
  let source: RepositorySource;
  try {
    source = parseRepositorySource(v.source, o.repoRoots ?? repositoryRoots());
  } catch (err) {
    return repositoryFieldError(err, 'source', 'defaultRef');
  }
  const commit = await commitOf(
    source,
    defaultRef,
    { source: 'source', ref: 'defaultRef' },
    o.signal,
  );
  try {
    const [row] = await db
      .insert(teamRepositories)
      .values({
        teamId,
        name: v.name,
        source: source.kind === 'path' ? source.location : v.source,
        defaultRef: defaultRef.trim(),
        createdBy: o.createdBy ?? null,
      })
      .returning(repositoryColumns);
    return { ...row!, commit };
  } catch (err) {
    if (isUniqueViolation(err)) throw taken(v.name);
    throw err;
  }
}

function taken(name: string) {
  return new AppError('CONFLICT', `A repository named "${name}" already exists in this team.`, {
    field: 'name',
  });
}

/** Removes a team's repository, by id or by name; NOT_FOUND (on that field) when there is none. */
export async function removeRepository(
  db: Database,
  teamId: string,
  which: { repositoryId: string } | { name: string },
): Promise<{ deleted: string; name: string }> {
  const match =
    'repositoryId' in which
      ? eq(teamRepositories.id, which.repositoryId)
      : eq(teamRepositories.name, which.name);
  const gone = await db
    .delete(teamRepositories)
    .where(and(eq(teamRepositories.teamId, teamId), match))
    .returning({ id: teamRepositories.id, name: teamRepositories.name });
  if (!gone[0])
    throw new AppError(
      'NOT_FOUND',
      'repositoryId' in which
        ? 'Repository not found.'
        : `No repository named "${which.name}" in this team.`,
      { field: 'repositoryId' in which ? 'repositoryId' : 'name' },
    );
  return { deleted: gone[0].id, name: gone[0].name };
}

/** The repository row a task names, or a field error on `field`. */
export async function repositoryByName(
  db: Database,
  teamId: string,
  name: string,
  field = 'repository',
) {
  const [repo] = await db
    .select()
    .from(teamRepositories)
    .where(and(eq(teamRepositories.teamId, teamId), eq(teamRepositories.name, name)));
  if (!repo) throw fieldError(field, `No repository named "${name}" in this team.`);
  return repo;
}

/**
 * Checks that `ref` (default: the repository's default ref) exists in the team's repository
 * `repository`: its commit. Field errors on `repository` (unknown, or its source no longer
 * usable) and `ref`.
 */
export async function checkRepositoryRef(
  db: Database,
  teamId: string,
  input: CheckRefInput,
  o: RepositoryOptions = {},
): Promise<{ commit: string | null; ref: string }> {
  const v = parseInput(checkRefInput, input);
  const repo = await repositoryByName(db, teamId, v.repository);
  const ref = v.ref || repo.defaultRef;
  let source: RepositorySource;
  try {
    source = parseRepositorySource(repo.source, o.repoRoots ?? repositoryRoots());
  } catch (err) {
    return repositoryFieldError(err, 'repository', 'ref');
  }
  const commit = await commitOf(source, ref, { source: 'repository', ref: 'ref' }, o.signal);
  return { commit, ref };
}
