import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../src/auth';
import { clientAddressFrom, PEER_HEADER, trustedProxies } from '../src/client-address';
import { type Harness, SECRET, setupHarness } from './harness';

const ORIGIN = 'http://127.0.0.1:3000';

describe('client address', () => {
  const addr = clientAddressFrom(trustedProxies('10.0.0.0/8, ::1'));
  const h = (peer: string, xff?: string) =>
    addr(new Headers({ [PEER_HEADER]: peer, ...(xff ? { 'x-forwarded-for': xff } : {}) }));

  it('is the socket peer unless that peer is a trusted proxy', () => {
    expect(h('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9'); // a spoofed header from a client
    expect(h('10.1.2.3', '198.51.100.7')).toBe('198.51.100.7'); // through our proxy
    // The client prepends whatever it likes; the trusted chain is read from the right.
    expect(h('10.1.2.3', '6.6.6.6, 198.51.100.7, 10.9.9.9')).toBe('198.51.100.7');
    expect(h('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(h('::1', 'garbage, 192.0.2.1')).toBe('192.0.2.1');
    expect(addr(new Headers({ 'x-forwarded-for': '1.2.3.4' }))).toBeUndefined();
  });

  it('refuses an operator setting that is not addresses or ranges', () => {
    expect(() => trustedProxies('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => trustedProxies('proxy.internal')).toThrow(/not an IP address/);
  });
});

describe('sign-in limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setupHarness({ allowSignUp: true });
    await h.auth.api.signUpEmail({
      body: { email: 'victim@example.test', password: 'the right password', name: 'V' },
    });
  });
  afterAll(() => h?.close());

  const auth = () =>
    createAuth({
      db: h.client.db,
      secret: SECRET,
      baseURL: ORIGIN,
      clientAddress: clientAddressFrom(trustedProxies('')),
      signInLimits: { perAccount: 5, perAddress: 8, windowSeconds: 600 },
    });
  const attempt = (
    a: ReturnType<typeof auth>,
    email: string,
    password: string,
    peer: string,
    xff: string,
  ) =>
    a.handler(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          [PEER_HEADER]: peer,
          'x-forwarded-for': xff,
        },
        body: JSON.stringify({ email, password }),
      }),
    );

  it('limits attempts per account, whatever X-Forwarded-For a client sends', async () => {
    const a = auth();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await attempt(a, 'victim@example.test', `guess-${i}`, '203.0.113.50', `198.51.100.${i}`))
          .status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Even the right password waits out the window now, and says how long.
    const blocked = await attempt(
      a,
      'victim@example.test',
      'the right password',
      '203.0.113.51',
      '1.1.1.1',
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(await blocked.text()).toMatch(/Too many sign-in attempts for this account/);
  });

  it('limits attempts per address across accounts, spoofed headers or not', async () => {
    const a = auth();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push(
        (await attempt(a, `spray-${i}@example.test`, 'x', '203.0.113.77', `10.0.0.${i}`)).status,
      );
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await attempt(a, 'spray-0@example.test', 'x', '203.0.113.78', '')).status).toBe(401);
  });

  it('a successful sign-in clears the account’s count; the counters are shared (PostgreSQL)', async () => {
    await h.auth.api.signUpEmail({
      body: { email: 'ok@example.test', password: 'the right password', name: 'O' },
    });
    const one = auth();
    const two = auth(); // another web process
    for (let i = 0; i < 4; i++)
      await attempt(i % 2 ? one : two, 'ok@example.test', 'wrong', `192.0.2.${i}`, '');
    expect(
      (await attempt(one, 'ok@example.test', 'the right password', '192.0.2.9', '')).status,
    ).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await attempt(two, 'ok@example.test', 'wrong', `192.0.2.${20 + i}`, '')).status).toBe(
        401,
      );
    expect((await attempt(one, 'ok@example.test', 'wrong', '192.0.2.30', '')).status).toBe(429);
  });
});
