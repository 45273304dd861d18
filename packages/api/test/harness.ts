import { randomBytes } from 'node:crypto';
import { createDb, type DbClient } from '@baton/db';
import { memberships, type Role, teams, users } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import type {} from '@baton/db/vitest-global-setup';
import { inject } from 'vitest';
import { type Auth, createAuth } from '../src/auth';
import { createCaller } from '../src/index';
import { type AuthSession, type CreateContextOptions, createTRPCContext } from '../src/trpc';

export interface Harness {
  database: TestDatabase;
  client: DbClient;
  auth: Auth;
  close(): Promise<void>;
}

export const SECRET = randomBytes(32).toString('hex');

/** A fresh migrated database (real PostgreSQL) with a client and a Better Auth instance. */
export async function setupHarness(
  options: { migrate?: boolean; allowSignUp?: boolean } = {},
): Promise<Harness> {
  const database = await createTestDatabase(inject('pgAdminUrl'), {
    migrate: options.migrate ?? true,
  });
  const client = createDb(database.url, { max: 4, applicationName: 'baton-api-test' });
  const auth = createAuth({
    db: client.db,
    secret: SECRET,
    baseURL: 'http://127.0.0.1:3000',
    allowSignUp: options.allowSignUp ?? false,
  });
  return {
    database,
    client,
    auth,
    close: async () => {
      await client.close();
      await database.drop();
    },
  };
}

let userSeq = 0;

/** Inserts a user row directly (routers only need the id; auth tests sign up for real). */
export async function makeUser(h: Harness, name = `User ${++userSeq}`): Promise<AuthSession> {
  const id = `u_${randomBytes(8).toString('hex')}`;
  const email = `${id}@example.test`;
  await h.client.db.insert(users).values({ id, name, email });
  return {
    user: { id, name, email, image: null },
    session: { id: `s_${id}`, expiresAt: new Date(Date.now() + 3_600_000) },
  };
}

/**
 * A team with `members`. It may use the instance's provider key (`allowInstanceKey`, default
 * true: most tests submit tasks without saving a key of their own); pass false for a team that
 * must bring its own.
 */
export async function makeTeam(
  h: Harness,
  slug: string,
  members: [AuthSession, Role][],
  options: { allowInstanceKey?: boolean } = {},
): Promise<string> {
  const [team] = await h.client.db
    .insert(teams)
    .values({ name: slug.toUpperCase(), slug, allowInstanceKey: options.allowInstanceKey ?? true })
    .returning();
  for (const [s, role] of members) {
    await h.client.db.insert(memberships).values({ teamId: team!.id, userId: s.user.id, role });
  }
  return team!.id;
}

/** A server-side caller acting as `session` (or signed out with null); `extra` adds context options. */
export async function callerFor(
  h: Harness,
  session: AuthSession | null,
  extra: Partial<
    Pick<CreateContextOptions, 'boss' | 'repoRoots' | 'secret' | 'anthropicBaseUrl'>
  > = {},
) {
  const ctx = await createTRPCContext({
    headers: new Headers(),
    client: h.client,
    databaseUrl: h.database.url,
    session,
    version: '9.9.9-test',
    ...extra,
  });
  return createCaller(ctx);
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to be refused, it succeeded');
}

/**
 * The field error a refused call carries, however it was raised: a zod issue (tRPC input
 * validation: its first issue) or an AppError naming `meta.field`.
 */
export function fieldErrorOf(err: Error & { code?: string; cause?: unknown }): {
  code: string | undefined;
  field: string | undefined;
  message: string;
} {
  const cause = err.cause as
    | { issues?: { path: PropertyKey[]; message: string }[]; meta?: { field?: string } }
    | undefined;
  const issue = cause?.issues?.[0];
  if (issue)
    return { code: err.code, field: issue.path.map(String).join('.'), message: issue.message };
  return { code: err.code, field: cause?.meta?.field, message: err.message };
}
