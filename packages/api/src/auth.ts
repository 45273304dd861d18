/**
 * Authentication: Better Auth (email + password) on Baton's own tables. The
 * console mounts `auth.handler` at /api/auth/*; servers call `auth.api.*`.
 */
import type { Database } from '@baton/db/client';
import { authAccounts, authSessions, authVerifications, users } from '@baton/db/schema';
import { type BetterAuthPlugin, betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { claimOperatorIfNone } from './operator';

export interface CreateAuthOptions {
  db: Database;
  /** Signs session cookies; at least 32 characters (BATON_SECRET). */
  secret: string;
  /** Where the console is reached, e.g. http://127.0.0.1:3000 (BATON_PUBLIC_URL). */
  baseURL: string;
  /** Let anyone with the URL create an account (default false: accounts come from the operator). */
  allowSignUp?: boolean;
  /** More origins allowed to call the auth endpoints besides `baseURL`. */
  trustedOrigins?: string[];
  /** Framework plugins, e.g. `nextCookies()` from better-auth/next-js in the console. */
  plugins?: BetterAuthPlugin[];
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export function createAuth(options: CreateAuthOptions) {
  if (options.secret.length < 32) {
    throw new Error('The auth secret must be at least 32 characters long.');
  }
  return betterAuth({
    appName: 'Baton',
    secret: options.secret,
    baseURL: options.baseURL,
    basePath: '/api/auth',
    trustedOrigins: options.trustedOrigins ?? [],
    database: drizzleAdapter(options.db, {
      provider: 'pg',
      usePlural: false,
      schema: {
        user: users,
        session: authSessions,
        account: authAccounts,
        verification: authVerifications,
      },
    }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: !options.allowSignUp,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      autoSignIn: true,
    },
    session: {
      expiresIn: 60 * 60 * 24 * 7,
      updateAge: 60 * 60 * 24,
    },
    databaseHooks: {
      user: {
        create: {
          // The first account on an instance without an operator becomes its operator.
          after: async (user) => {
            await claimOperatorIfNone(options.db, user.id);
          },
        },
      },
    },
    telemetry: { enabled: false },
    plugins: options.plugins ?? [],
  });
}

export type Auth = ReturnType<typeof createAuth>;
