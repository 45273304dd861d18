/**
 * Authentication: Better Auth (email + password) on Baton's own tables. The
 * console mounts `auth.handler` at /api/auth/*; servers call `auth.api.*`.
 */
import type { Database } from '@baton/db/client';
import { authAccounts, authSessions, authVerifications, users } from '@baton/db/schema';
import { type BetterAuthPlugin, betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { eq } from 'drizzle-orm';
import type { ClientAddress } from './client-address';
import { claimInvitationForSignUp, completeInvitationSignUp } from './invitation-signup';
import { INVITATION_HEADER, invitationAllowsSignUp } from './invitation-token';
import { claimOperatorIfNone } from './operator';
import {
  clearSignInAttempts,
  countSignInAttempt,
  DEFAULT_SIGN_IN_LIMITS,
  type SignInLimits,
} from './sign-in-limit';

export interface CreateAuthOptions {
  db: Database;
  /** Signs session cookies; at least 32 characters (BATON_SECRET). */
  secret: string;
  /** Where the console is reached, e.g. http://127.0.0.1:3000 (BATON_PUBLIC_URL). */
  baseURL: string;
  /**
   * Let anyone with the URL create an account (default false: accounts come
   * from the operator, or from an invitation link — the sign-up form sends
   * its token in the `x-baton-invitation` header).
   */
  allowSignUp?: boolean;
  /** More origins allowed to call the auth endpoints besides `baseURL`. */
  trustedOrigins?: string[];
  /** Framework plugins, e.g. `nextCookies()` from better-auth/next-js in the console. */
  plugins?: BetterAuthPlugin[];
  /**
   * The client's address (for the sign-in limit), as the console's server establishes it from
   * its socket and the proxies the operator trusts (see client-address.ts); never a header a
   * client can set. Unset: sign-in is limited per account only.
   */
  clientAddress?: ClientAddress;
  /** Sign-in attempts allowed per account and per address (default 10 and 30 per 15 min). */
  signInLimits?: SignInLimits;
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
      // Closed sign-up is enforced by the `before` hook below (an invitation opens it).
      disableSignUp: false,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      autoSignIn: true,
    },
    session: {
      expiresIn: 60 * 60 * 24 * 7,
      updateAge: 60 * 60 * 24,
    },
    // Better Auth's own limiter keys on X-Forwarded-For as the client sends it: ours instead.
    rateLimit: { enabled: false },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === '/sign-in/email') {
          const email = typeof ctx.body?.email === 'string' ? ctx.body.email : '';
          const address = ctx.headers ? options.clientAddress?.(ctx.headers) : undefined;
          const v = await countSignInAttempt(
            options.db,
            { email, address },
            options.signInLimits ?? DEFAULT_SIGN_IN_LIMITS,
          );
          if (!v.allowed) {
            throw new APIError(
              'TOO_MANY_REQUESTS',
              {
                message: `Too many sign-in attempts ${v.by === 'account' ? 'for this account' : 'from this address'}: try again in ${Math.ceil(v.retryAfterSeconds / 60)} min.`,
              },
              { 'retry-after': String(v.retryAfterSeconds) },
            );
          }
          return;
        }
        if (ctx.path !== '/sign-up/email' || options.allowSignUp) return;
        const token = ctx.headers?.get(INVITATION_HEADER) ?? '';
        const email = typeof ctx.body?.email === 'string' ? ctx.body.email : '';
        if (token && email && (await invitationAllowsSignUp(options.db, token, email))) return;
        throw new APIError('FORBIDDEN', {
          message: token
            ? 'Sign-up is closed on this server, and this invitation cannot be used to sign up (expired, revoked, used, or for another email).'
            : 'Sign-up is closed on this server: open an invitation link to create an account.',
        });
      }),
    },
    databaseHooks: {
      user: {
        create: {
          // A sign-up with an invitation uses it up: claimed here, before the account exists, so
          // two sign-ups racing for one link cannot both get it.
          before: async (user, ctx) => {
            const token = ctx?.headers?.get(INVITATION_HEADER);
            if (!token) return;
            const ok = await claimInvitationForSignUp(options.db, token, user.email);
            if (!ok && !options.allowSignUp)
              throw new APIError('FORBIDDEN', {
                message: 'This invitation has just been used to create another account.',
              });
          },
          after: async (user, ctx) => {
            // The first account on an instance without an operator becomes its operator.
            await claimOperatorIfNone(options.db, user.id);
            const token = ctx?.headers?.get(INVITATION_HEADER);
            if (token) await completeInvitationSignUp(options.db, token, user.id);
          },
        },
      },
      session: {
        create: {
          // A successful sign-in clears the account's attempts.
          after: async (session) => {
            const [u] = await options.db
              .select({ email: users.email })
              .from(users)
              .where(eq(users.id, session.userId))
              .limit(1);
            if (u) await clearSignInAttempts(options.db, u.email);
          },
        },
      },
    },
    telemetry: { enabled: false },
    plugins: options.plugins ?? [],
  });
}

export type Auth = ReturnType<typeof createAuth>;
