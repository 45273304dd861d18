import 'server-only';
import { createTRPCContext } from '@baton/api';
import { env } from '@/env';
import pkg from '../../package.json' with { type: 'json' };
import { getAuth } from './auth';
import { getDb } from './db';
import { getBoss } from './queue';

/** The tRPC context of one request (route handler or server component). */
export function createContext(headers: Headers) {
  return createTRPCContext({
    headers,
    client: getDb(),
    databaseUrl: env.DATABASE_URL,
    auth: getAuth(),
    version: pkg.version,
    boss: getBoss,
    secret: env.BATON_SECRET,
  });
}
