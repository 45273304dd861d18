import 'server-only';
import { type Auth, createAuth } from '@baton/api';
import { nextCookies } from 'better-auth/next-js';
import { headers } from 'next/headers';
import { cache } from 'react';
import { env, signUpAllowed } from '@/env';
import { clientAddressFrom, trustedProxies } from '../../../../packages/api/src/client-address';
import { getDb } from './db';

const globalForAuth = globalThis as unknown as { batonWebAuth?: Auth };

/** Better Auth over the shared pool, created on first use. */
export function getAuth(): Auth {
  globalForAuth.batonWebAuth ??= createAuth({
    db: getDb().db,
    secret: env.BATON_SECRET,
    baseURL: env.BATON_PUBLIC_URL,
    allowSignUp: signUpAllowed(),
    // Sign-in limits key on this: the TCP peer (x-baton-peer, set by server.mjs), or the
    // X-Forwarded-For entry past the proxies the operator trusts — never a client's say-so.
    clientAddress: clientAddressFrom(trustedProxies(env.BATON_TRUSTED_PROXIES)),
    plugins: [nextCookies()],
  });
  return globalForAuth.batonWebAuth;
}

/** The signed-in user of the current request, or null (looked up once per request). */
export const getSession = cache(async () => getAuth().api.getSession({ headers: await headers() }));

/** Like getSession, but a failure (e.g. the database is down) is returned instead of thrown. */
export async function trySession(): Promise<
  { ok: true; session: Awaited<ReturnType<typeof getSession>> } | { ok: false; error: string }
> {
  try {
    return { ok: true, session: await getSession() };
  } catch (err) {
    console.error('[baton-web] session lookup failed:', err);
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
