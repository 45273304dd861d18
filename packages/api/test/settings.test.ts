import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertRules, prices, providerCredentials, users } from '@baton/db/schema';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, fingerprintOf } from '../src/crypto';
import { createCaller, createTRPCContext } from '../src/index';
import type { AuthSession } from '../src/trpc';
import { type Harness, makeTeam, makeUser, rejection, SECRET, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let member: AuthSession;
let outsider: AuthSession;
let teamA: string;
let teamB: string;
let sim: RunningSimulator;

async function as(
  session: AuthSession,
  secret: string | null = SECRET,
  anthropicBaseUrl = sim.url,
) {
  return createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.database.url,
      session,
      secret: secret ?? undefined,
      anthropicBaseUrl,
    }),
  );
}

const KEY = 'sk-ant-api03-THIS-IS-A-TEST-KEY-0123456789-abcd';

beforeAll(async () => {
  // The provider a saved key is checked against: the simulator, accepting only these keys.
  sim = await startSimulator({ port: 0, apiKeys: [KEY, `${KEY}-2`] });
  h = await setupHarness();
  owner = await makeUser(h, 'Owner');
  member = await makeUser(h, 'Member');
  outsider = await makeUser(h, 'Outsider');
  teamA = await makeTeam(h, 'set-a', [
    [owner, 'owner'],
    [member, 'member'],
  ]);
  teamB = await makeTeam(h, 'set-b', [[outsider, 'owner']]);
});

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('credential crypto', () => {
  it('round-trips, uses a fresh IV each time and authenticates key, data and context', () => {
    const a = encryptSecret(SECRET, KEY, 'ctx');
    const b = encryptSecret(SECRET, KEY, 'ctx');
    expect(a).toMatch(/^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('THIS-IS-A-TEST');
    expect(decryptSecret(SECRET, a, 'ctx')).toBe(KEY);
    expect(() => decryptSecret(`${SECRET}x`, a, 'ctx')).toThrow();
    expect(() => decryptSecret(SECRET, a, 'other')).toThrow();
    const [v, iv, tag, ct] = a.split(':');
    const flipped = `${ct!.startsWith('A') ? 'B' : 'A'}${ct!.slice(1)}`;
    expect(() => decryptSecret(SECRET, [v, iv, tag, flipped].join(':'), 'ctx')).toThrow();
    expect(() => encryptSecret('short', KEY)).toThrow(/32 characters/);
  });

  it('fingerprints without revealing the key', () => {
    const f = fingerprintOf(KEY);
    expect(f).toMatch(/^sk-ant-…abcd · [0-9a-f]{6}$/);
    expect(fingerprintOf(`${KEY}x`)).not.toBe(f);
  });
});

describe('settings router', () => {
  it('stores only ciphertext, shows a fingerprint, and rotates by label', async () => {
    const saved = await (await as(owner)).settings.saveCredential({
      teamId: teamA,
      label: 'prod',
      apiKey: KEY,
    });
    expect(saved.fingerprint).toBe(fingerprintOf(KEY));
    expect(JSON.stringify(saved)).not.toContain(KEY);

    const [row] = await h.client.db
      .select()
      .from(providerCredentials)
      .where(eq(providerCredentials.id, saved.id));
    expect(row!.ciphertext).not.toContain(KEY);
    expect(row!.ciphertext).not.toContain('TEST-KEY');
    expect(decryptSecret(SECRET, row!.ciphertext, `${teamA}:anthropic:prod`)).toBe(KEY);
    // Nowhere in the database as plaintext.
    const dump = await h.client.pool.query(
      `select count(*)::int as n from provider_credentials p where p::text like '%' || $1 || '%'`,
      ['THIS-IS-A-TEST-KEY'],
    );
    expect(dump.rows[0].n).toBe(0);

    const list = await (await as(member)).settings.credentials({ teamId: teamA });
    expect(list).toEqual([
      expect.objectContaining({ label: 'prod', fingerprint: saved.fingerprint }),
    ]);
    expect(JSON.stringify(list)).not.toContain('v1:');

    const rotated = await (await as(owner)).settings.saveCredential({
      teamId: teamA,
      label: 'prod',
      apiKey: `${KEY}-2`,
    });
    expect(rotated.id).toBe(saved.id);
    expect(rotated.rotatedAt).toBeInstanceOf(Date);
    expect(await (await as(outsider)).settings.credentials({ teamId: teamB })).toEqual([]);
  });

  it('checks a key with the provider before saving it: a refused key is a field error, nothing stored', async () => {
    const before = await h.client.db
      .select()
      .from(providerCredentials)
      .where(eq(providerCredentials.teamId, teamB));
    const refused = await rejection(
      (await as(outsider)).settings.saveCredential({
        teamId: teamB,
        label: 'prod',
        apiKey: 'sk-ant-api03-NOT-A-KEY-THE-PROVIDER-KNOWS-0000',
      }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
    expect((refused.cause as { meta?: { field?: string } }).meta?.field).toBe('apiKey');
    // The provider's own answer (the simulator answers as Anthropic does), never the key.
    expect(refused.message).toBe(
      'The provider refused this key (401 authentication_error: invalid x-api-key). It was not saved.',
    );
    expect(refused.message).not.toContain('NOT-A-KEY');
    // A provider that cannot be reached leaves the key unchecked: not saved either.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const unreachable = await rejection(
      (await as(outsider, SECRET, `http://127.0.0.1:${port}`)).settings.saveCredential({
        teamId: teamB,
        label: 'prod',
        apiKey: KEY,
      }),
    );
    expect(unreachable.code).toBe('BAD_REQUEST');
    expect((unreachable.cause as { meta?: { field?: string } }).meta?.field).toBe('apiKey');
    expect(unreachable.message).toBe(
      `The key could not be checked: the provider at http://127.0.0.1:${port} cannot be reached (ECONNREFUSED). It was not saved; try again when the provider answers.`,
    );
    const after = await h.client.db
      .select()
      .from(providerCredentials)
      .where(eq(providerCredentials.teamId, teamB));
    expect(after).toEqual(before);
    expect(after).toHaveLength(0);
    // The simulator's own model list is what the check read: a page of one model.
    const res = await fetch(`${sim.url}/v1/models?limit=1`, {
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    });
    const page = (await res.json()) as { data: unknown[]; has_more: boolean; first_id: string };
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);
    expect(typeof page.first_id).toBe('string');
  });

  it('refuses members, other teams and a server without a secret', async () => {
    expect(
      (
        await rejection(
          (await as(member)).settings.saveCredential({ teamId: teamA, label: 'x', apiKey: KEY }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    const [cred] = await h.client.db
      .select()
      .from(providerCredentials)
      .where(eq(providerCredentials.teamId, teamA));
    expect(
      (
        await rejection(
          (await as(outsider)).settings.deleteCredential({ teamId: teamB, credentialId: cred!.id }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    const noSecret = await rejection(
      (await as(owner, null)).settings.saveCredential({
        teamId: teamA,
        label: 'y',
        apiKey: KEY,
      }),
    );
    expect(noSecret.message).toMatch(/BATON_SECRET/);
    await (await as(owner)).settings.deleteCredential({ teamId: teamA, credentialId: cred!.id });
    expect(await (await as(owner)).settings.credentials({ teamId: teamA })).toEqual([]);
  });

  it('creates, lists and deletes alert rules with field errors for bad input', async () => {
    const api = await as(owner);
    const rule = await api.settings.createAlertRule({
      teamId: teamA,
      name: 'Errors',
      metric: 'error_rate',
      threshold: 5,
    });
    expect(rule).toMatchObject({ comparator: 'gt', windowMinutes: 60, threshold: '5.000000' });
    expect((await api.settings.alertRules({ teamId: teamA })).map((r) => r.metricLabel)).toEqual([
      'Error rate over the window (%)',
    ]);
    const bad = await rejection(
      api.settings.createAlertRule({
        teamId: teamA,
        name: '',
        metric: 'error_rate',
        threshold: -1,
      }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(
      (
        await rejection(
          (await as(outsider)).settings.deleteAlertRule({ teamId: teamB, ruleId: rule.id }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    await api.settings.deleteAlertRule({ teamId: teamA, ruleId: rule.id });
    expect(await h.client.db.select().from(alertRules).where(eq(alertRules.teamId, teamA))).toEqual(
      [],
    );
  });

  it('adds a price row only as an operator: team owners without the flag are refused', async () => {
    const validFrom = new Date(Date.now() + 86_400_000);
    const input = {
      modelPattern: 'claude-test-9*',
      validFrom,
      inputPerMtok: 2,
      cacheWrite5mPerMtok: 2.5,
      cacheWrite1hPerMtok: 4,
      cacheReadPerMtok: 0.2,
      outputPerMtok: 10,
    };
    // An owner of a team is not an operator of the instance.
    const refused = await rejection((await as(owner)).price.add(input));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/operator/);
    expect((await rejection((await as(member)).price.add(input))).code).toBe('FORBIDDEN');
    expect(await (await as(owner)).system.me()).toMatchObject({ isOperator: false });
    expect(
      await h.client.db.select().from(prices).where(eq(prices.modelPattern, 'claude-test-9*')),
    ).toEqual([]);

    await h.client.db.update(users).set({ isOperator: true }).where(eq(users.id, owner.user.id));
    try {
      const api = await as(owner);
      expect(await api.system.me()).toMatchObject({ isOperator: true });
      const row = await api.price.add(input);
      expect(row).toMatchObject({ inputPerMtok: '2.000000', outputPerMtok: '10.000000' });
      const listed = (await api.price.list()).filter((p) => p.modelPattern === 'claude-test-9*');
      expect(listed).toEqual([expect.objectContaining({ current: false })]);
      const dup = await rejection(api.price.add(input));
      expect(dup.code).toBe('CONFLICT');
      // Malformed input names the field, even for an operator.
      const bad = await rejection(api.price.add({ ...input, inputPerMtok: -1 }));
      expect(bad.code).toBe('BAD_REQUEST');
      await h.client.db.delete(prices).where(eq(prices.id, row.id));
    } finally {
      await h.client.db.update(users).set({ isOperator: false }).where(eq(users.id, owner.user.id));
    }
  });
});
