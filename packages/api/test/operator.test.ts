import { users } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoAccount } from '../src/demo';
import { claimOperatorIfNone, isOperator, setOperator } from '../src/operator';
import { type Harness, makeUser, rejection, setupHarness } from './harness';

async function flag(h: Harness, id: string) {
  const [row] = await h.client.db
    .select({ isOperator: users.isOperator })
    .from(users)
    .where(eq(users.id, id));
  return row?.isOperator;
}

describe('instance operator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setupHarness({ allowSignUp: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the first account to sign up on an instance without an operator becomes it; later ones do not', async () => {
    const first = await h.auth.api.signUpEmail({
      body: { email: 'first@example.test', password: 'correct horse battery', name: 'First' },
    });
    const second = await h.auth.api.signUpEmail({
      body: { email: 'second@example.test', password: 'correct horse battery', name: 'Second' },
    });
    expect(await flag(h, first.user.id)).toBe(true);
    expect(await flag(h, second.user.id)).toBe(false);
    expect(await isOperator(h.client.db, second.user.id)).toBe(false);

    // More operators are appointed explicitly (the CLI's `baton operator grant`).
    await setOperator(h.client.db, 'SECOND@example.test', true);
    expect(await isOperator(h.client.db, second.user.id)).toBe(true);
    await setOperator(h.client.db, 'second@example.test', false);
    expect(await isOperator(h.client.db, second.user.id)).toBe(false);
    expect(
      (await rejection(setOperator(h.client.db, 'nobody@example.test', true))).message,
    ).toMatch(/No user/);
  });

  it('concurrent claims on an instance without an operator make exactly one', async () => {
    await h.client.db.update(users).set({ isOperator: false });
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => makeUser(h, `R${i}`)));
    const claimed = await Promise.all(
      racers.map((r) => claimOperatorIfNone(h.client.db, r.user.id)),
    );
    expect(claimed.filter(Boolean)).toHaveLength(1);
    const operators = await h.client.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.isOperator, true));
    expect(operators).toHaveLength(1);
  });
});

describe('the demo account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setupHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is the operator on embedded defaults', async () => {
    const { created, email } = await ensureDemoAccount({
      db: h.client.db,
      auth: h.auth,
      password: 'demo password 123',
    });
    expect(created).toBe(true);
    const [demo] = await h.client.db.select().from(users).where(eq(users.email, email));
    expect(demo?.isOperator).toBe(true);
  });
});
