import { authAccounts, invitations, memberships, teams, users } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../src/auth';
import { DEMO_EMAIL, ensureDemoAccount, resetDemoPassword, setPassword } from '../src/demo';
import { createCaller } from '../src/index';
import { hashInvitationToken, newInvitationToken } from '../src/invitation-token';
import { createTRPCContext } from '../src/trpc';
import { type Harness, rejection, SECRET, setupHarness } from './harness';

const ORIGIN = 'http://127.0.0.1:3000';

function cookieFrom(res: Response): string {
  const setCookies = res.headers.getSetCookie();
  expect(setCookies.length).toBeGreaterThan(0);
  return setCookies.map((c) => c.split(';')[0]).join('; ');
}

async function signInOverHttp(h: Harness, email: string, password: string): Promise<Response> {
  return h.auth.handler(
    new Request(`${ORIGIN}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ email, password }),
    }),
  );
}

describe('Better Auth on the Baton tables', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setupHarness({ allowSignUp: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('signs up, stores only a hash, signs in, and resolves the session from the cookie', async () => {
    const signedUp = await h.auth.api.signUpEmail({
      body: { email: 'Alice@Example.test', password: 'correct horse battery', name: 'Alice' },
    });
    expect(signedUp.user.email).toBe('alice@example.test');

    const [account] = await h.client.db
      .select()
      .from(authAccounts)
      .where(eq(authAccounts.userId, signedUp.user.id));
    expect(account?.providerId).toBe('credential');
    expect(account?.password).toBeTruthy();
    expect(account?.password).not.toContain('correct horse battery');

    const res = await signInOverHttp(h, 'alice@example.test', 'correct horse battery');
    expect(res.status).toBe(200);
    const headers = new Headers({ cookie: cookieFrom(res) });
    const session = await h.auth.api.getSession({ headers });
    expect(session?.user.id).toBe(signedUp.user.id);

    // The tRPC context resolves the same session from the request headers.
    const ctx = await createTRPCContext({
      headers,
      client: h.client,
      databaseUrl: h.database.url,
      auth: h.auth,
    });
    expect(ctx.session?.user.email).toBe('alice@example.test');
    await expect(createCaller(ctx).team.list()).resolves.toEqual([]);
  });

  it('refuses a wrong password and an unknown email', async () => {
    const wrong = await signInOverHttp(h, 'alice@example.test', 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const unknown = await signInOverHttp(h, 'nobody@example.test', 'whatever123');
    expect(unknown.status).toBe(401);
    const ctx = await createTRPCContext({
      headers: new Headers({ cookie: 'better-auth.session_token=forged.value' }),
      client: h.client,
      databaseUrl: h.database.url,
      auth: h.auth,
    });
    expect(ctx.session).toBeNull();
  });

  it('refuses sign-up when it is closed (the default)', async () => {
    const closed = createAuth({ db: h.client.db, secret: SECRET, baseURL: ORIGIN });
    const err = await rejection(
      closed.api.signUpEmail({
        body: { email: 'eve@example.test', password: 'password123', name: 'Eve' },
      }),
    );
    expect(err.message).toMatch(/sign[ -]?up is closed/i);
    const rows = await h.client.db.select().from(users).where(eq(users.email, 'eve@example.test'));
    expect(rows).toEqual([]);
  });

  it('lets sign-up through when it is closed only with a usable invitation link', async () => {
    const closed = createAuth({ db: h.client.db, secret: SECRET, baseURL: ORIGIN });
    const [team] = await h.client.db
      .insert(teams)
      .values({ name: 'Closed', slug: 'closed-signup' })
      .returning();
    const open = newInvitationToken();
    const bound = newInvitationToken();
    const expired = newInvitationToken();
    await h.client.db.insert(invitations).values([
      {
        teamId: team!.id,
        tokenHash: hashInvitationToken(open),
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      {
        teamId: team!.id,
        tokenHash: hashInvitationToken(bound),
        email: 'bound@example.test',
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      {
        teamId: team!.id,
        tokenHash: hashInvitationToken(expired),
        expiresAt: new Date(Date.now() - 1000),
      },
    ]);
    const signUp = (email: string, token?: string) =>
      closed.handler(
        new Request(`${ORIGIN}/api/auth/sign-up/email`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: ORIGIN,
            ...(token ? { 'x-baton-invitation': token } : {}),
          },
          body: JSON.stringify({ email, password: 'correct horse battery', name: 'Invited' }),
        }),
      );
    expect((await signUp('nobody@example.test')).status).toBe(403);
    expect((await signUp('late@example.test', expired)).status).toBe(403);
    expect((await signUp('other@example.test', bound)).status).toBe(403);
    expect((await signUp('bound@example.test', bound)).status).toBe(200);
    expect((await signUp('anyone@example.test', open)).status).toBe(200);
    const created = await h.client.db.select({ email: users.email }).from(users);
    expect(created.map((u) => u.email)).toEqual(
      expect.arrayContaining(['bound@example.test', 'anyone@example.test']),
    );
    expect(created.map((u) => u.email)).not.toEqual(
      expect.arrayContaining(['nobody@example.test']),
    );
    // A sign-up with an invitation uses it up: the account joins the team, the link is spent.
    const [row] = await h.client.db
      .select()
      .from(invitations)
      .where(eq(invitations.tokenHash, hashInvitationToken(open)));
    const [anyone] = await h.client.db
      .select()
      .from(users)
      .where(eq(users.email, 'anyone@example.test'));
    expect(row?.acceptedBy).toBe(anyone!.id);
    const joined = await h.client.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, anyone!.id));
    expect(joined).toEqual([{ role: 'member' }]);
    // …so the same unbound link creates no second account.
    const again = await signUp('second@example.test', open);
    expect(again.status).toBe(403);
    expect(
      await h.client.db.select().from(users).where(eq(users.email, 'second@example.test')),
    ).toEqual([]);
  });

  it('two sign-ups racing for one link: exactly one account is created', async () => {
    const closed = createAuth({ db: h.client.db, secret: SECRET, baseURL: ORIGIN });
    const [team] = await h.client.db
      .insert(teams)
      .values({ name: 'Race', slug: 'race-signup' })
      .returning();
    const token = newInvitationToken();
    await h.client.db.insert(invitations).values({
      teamId: team!.id,
      tokenHash: hashInvitationToken(token),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const signUp = (email: string) =>
      closed.handler(
        new Request(`${ORIGIN}/api/auth/sign-up/email`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: ORIGIN,
            'x-baton-invitation': token,
          },
          body: JSON.stringify({ email, password: 'correct horse battery', name: 'Racer' }),
        }),
      );
    const results = await Promise.all(
      ['r1@example.test', 'r2@example.test', 'r3@example.test'].map(signUp),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403]);
    const members = await h.client.db
      .select()
      .from(memberships)
      .where(eq(memberships.teamId, team!.id));
    expect(members).toHaveLength(1);
  });

  it('rejects a short secret', () => {
    expect(() => createAuth({ db: h.client.db, secret: 'short', baseURL: ORIGIN })).toThrow(/32/);
  });
});

describe('demo account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setupHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is created only in an empty database, with the Demo team it owns', async () => {
    const first = await ensureDemoAccount({
      db: h.client.db,
      auth: h.auth,
      password: 'first-password-1',
    });
    expect(first).toEqual({ created: true, email: DEMO_EMAIL });
    const again = await ensureDemoAccount({
      db: h.client.db,
      auth: h.auth,
      password: 'other-password-2',
    });
    expect(again).toEqual({ created: false, email: DEMO_EMAIL });

    const rows = await h.client.db
      .select({ slug: teams.slug, name: teams.name, role: memberships.role, email: users.email })
      .from(memberships)
      .innerJoin(teams, eq(teams.id, memberships.teamId))
      .innerJoin(users, eq(users.id, memberships.userId));
    expect(rows).toEqual([{ slug: 'demo', name: 'Demo', role: 'owner', email: DEMO_EMAIL }]);

    expect((await signInOverHttp(h, DEMO_EMAIL, 'first-password-1')).status).toBe(200);
    // The second call changed nothing, so its password does not work.
    expect((await signInOverHttp(h, DEMO_EMAIL, 'other-password-2')).status).toBe(401);
  });

  it('concurrent first starts create one demo user', async () => {
    const h2 = await setupHarness();
    try {
      const results = await Promise.all(
        [1, 2, 3].map((i) =>
          ensureDemoAccount({ db: h2.client.db, auth: h2.auth, password: `password-${i}-xyz` }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await h2.client.db.select().from(users)).toHaveLength(1);
    } finally {
      await h2.close();
    }
  });

  it('setPassword replaces the password; old sessions survive unless revoked', async () => {
    const res = await signInOverHttp(h, DEMO_EMAIL, 'first-password-1');
    const headers = new Headers({ cookie: cookieFrom(res) });

    await resetDemoPassword({ db: h.client.db, auth: h.auth, password: 'second-password-2' });
    expect((await signInOverHttp(h, DEMO_EMAIL, 'first-password-1')).status).toBe(401);
    expect((await signInOverHttp(h, DEMO_EMAIL, 'second-password-2')).status).toBe(200);
    expect(await h.auth.api.getSession({ headers })).not.toBeNull();

    await setPassword({
      db: h.client.db,
      auth: h.auth,
      email: DEMO_EMAIL.toUpperCase(),
      password: 'third-password-3',
      revokeSessions: true,
    });
    expect(await h.auth.api.getSession({ headers })).toBeNull();
    expect((await signInOverHttp(h, DEMO_EMAIL, 'third-password-3')).status).toBe(200);
  });

  it('setPassword refuses an unknown user and a short password', async () => {
    const unknown = await rejection(
      setPassword({
        db: h.client.db,
        auth: h.auth,
        email: 'ghost@example.test',
        password: 'long-enough-1',
      }),
    );
    expect(unknown).toMatchObject({ code: 'NOT_FOUND' });
    const short = await rejection(
      setPassword({ db: h.client.db, auth: h.auth, email: DEMO_EMAIL, password: 'short' }),
    );
    expect(short).toMatchObject({ code: 'BAD_REQUEST', meta: { field: 'password' } });
  });
});
