import { randomBytes } from 'node:crypto';
import { createAuth, DEMO_EMAIL, ensureDemoAccount, resetDemoPassword } from '@baton/api';
import { createDb } from '@baton/db';

function newPassword(): string {
  // 16 characters from a URL-safe alphabet: ~96 bits.
  return randomBytes(12).toString('base64url');
}

async function withAuth<T>(
  databaseUrl: string,
  secret: string,
  baseURL: string,
  fn: (args: {
    db: ReturnType<typeof createDb>['db'];
    auth: ReturnType<typeof createAuth>;
  }) => Promise<T>,
): Promise<T> {
  const client = createDb(databaseUrl, { max: 2, applicationName: 'baton-cli' });
  try {
    return await fn({ db: client.db, auth: createAuth({ db: client.db, secret, baseURL }) });
  } finally {
    await client.close();
  }
}

/**
 * The sign-in lines `baton start` prints. On embedded defaults the first
 * start creates the demo team and user with a generated password, shown once
 * (only its hash is stored); later starts say how to get a new one.
 */
export async function demoSignIn(opts: {
  databaseUrl: string;
  secret: string;
  baseURL: string;
  embedded: boolean;
}): Promise<string[]> {
  if (!opts.embedded) {
    return [
      "  Sign in     with your account (pnpm baton demo-password creates the demo user's password)",
    ];
  }
  const password = newPassword();
  const { created, email } = await withAuth(
    opts.databaseUrl,
    opts.secret,
    opts.baseURL,
    ({ db, auth }) => ensureDemoAccount({ db, auth, password }),
  );
  if (created) {
    return [
      `  Sign in     ${email}  /  ${password}`,
      '              (team "Demo"; this password is shown once — `pnpm baton demo-password` sets a new one)',
    ];
  }
  return [
    `  Sign in     ${DEMO_EMAIL} with the password shown at the first start (forgot it? pnpm baton demo-password)`,
  ];
}

/** Sets a new generated password for the demo user and returns it. */
export async function newDemoPassword(opts: {
  databaseUrl: string;
  secret: string;
  baseURL: string;
}) {
  const password = newPassword();
  const { email } = await withAuth(opts.databaseUrl, opts.secret, opts.baseURL, ({ db, auth }) =>
    resetDemoPassword({ db, auth, password }),
  );
  return { email, password };
}
