import 'server-only';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';
// Not re-exported from @baton/api's index (yet): its own module, no server state.
import { trustedProxies } from '../../../packages/api/src/client-address';

/**
 * The console's environment, validated on first use at run time. `next build`
 * runs without a database or secret, so validation is skipped while building;
 * every page that reads these is dynamic.
 */
const building =
  process.env.npm_lifecycle_event === 'build' ||
  process.env.NEXT_PHASE === 'phase-production-build';

export const env = createEnv({
  server: {
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL'),
    BATON_SECRET: z.string().min(32, 'BATON_SECRET must be at least 32 characters long'),
    BATON_PUBLIC_URL: z.url().default('http://127.0.0.1:3000'),
    /** Unset: open on a loopback BATON_PUBLIC_URL (a local install), closed otherwise. */
    BATON_ALLOW_SIGNUP: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    /** Seconds between background alert-rule evaluations; 0 turns them off. */
    /**
     * Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges,
     * comma-separated). Unset: none — the client is the TCP peer (sign-in limits key on it).
     */
    BATON_TRUSTED_PROXIES: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        try {
          trustedProxies(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    BATON_ALERT_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(30),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  skipValidation: building,
});

/** Whether anyone reaching the console may create an account. */
export function signUpAllowed(): boolean {
  if (env.BATON_ALLOW_SIGNUP !== undefined) return env.BATON_ALLOW_SIGNUP;
  const host = new URL(env.BATON_PUBLIC_URL).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
