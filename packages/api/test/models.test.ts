import { DEFAULT_MODEL, defaultPriceTable, microsToUsd } from '@baton/core';
import { prices } from '@baton/db/schema';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCaller, defaultModelFor, instanceConfig, submitTaskInput } from '../src/index';
import { MODEL_LIST_TTL_MS } from '../src/router/model';
import { type AuthSession, type CreateContextOptions, createTRPCContext } from '../src/trpc';
import { type Harness, makeUser, rejection, setupHarness } from './harness';

const KEY = 'sk-models-test';

describe('model router (against the simulator)', () => {
  let h: Harness;
  let me: AuthSession;
  let sim: RunningSimulator;

  const caller = async (
    session: AuthSession | null,
    extra: Pick<
      CreateContextOptions,
      'anthropicBaseUrl' | 'anthropicApiKey' | 'providerSimulated'
    > = {},
  ) =>
    createCaller(
      await createTRPCContext({
        headers: new Headers(),
        client: h.client,
        databaseUrl: h.database.url,
        session,
        anthropicBaseUrl: sim.url,
        anthropicApiKey: KEY,
        ...extra,
      }),
    );

  beforeAll(async () => {
    h = await setupHarness();
    me = await makeUser(h);
    sim = await startSimulator({ port: 0, apiKeys: [KEY] });
  });
  afterAll(async () => {
    await sim?.close();
    await h?.close();
  });

  it("offers the provider's current models with their prices", async () => {
    const list = await (await caller(me)).model.list();
    expect(list.defaultModel).toBe(DEFAULT_MODEL);
    const ids = list.models.map((m) => m.id);
    expect(ids).toContain(DEFAULT_MODEL);
    expect(ids).toContain('claude-opus-5-5');
    // The simulator still lists retired models; they are not offered.
    for (const gone of [
      'claude-sonnet-4-5-20250929',
      'claude-opus-4-1-20250805',
      'claude-sonnet-4-20250514',
      'claude-opus-4-20250514',
    ]) {
      expect(ids).not.toContain(gone);
      expect(list.retired.find((r) => r.id === gone)).toBeDefined();
    }
    expect(list.retired.find((r) => r.ids.includes('claude-sonnet-4-5'))).toMatchObject({
      retiresOn: '2026-11-30',
      replacement: 'claude-sonnet-4-6',
    });
    const sonnet = list.models.find((m) => m.id === DEFAULT_MODEL);
    const price = defaultPriceTable().lookup(DEFAULT_MODEL);
    expect(sonnet).toMatchObject({
      displayName: 'Claude Sonnet 5',
      status: 'active',
      retiresOn: null,
      price: { input: microsToUsd(price!.input), output: microsToUsd(price!.output) },
    });
    expect(sonnet?.price).toEqual({
      input: '2',
      output: '10',
      cacheWrite5m: '2.5',
      cacheWrite1h: '4',
      cacheRead: '0.2',
    });
    // A model the table has no row for is offered without a price.
    expect(list.models.find((m) => m.id === 'claude-fable-5')?.price).toBeNull();
  });

  it("prices from the operator's table: a newer row supersedes, no rows fall back to core's defaults", async () => {
    const [row] = await h.client.db
      .insert(prices)
      .values({
        modelPattern: 'claude-sonnet-5*',
        validFrom: new Date('2026-01-01T00:00:00Z'),
        inputPerMtok: '2.5',
        cacheWrite5mPerMtok: '3.125',
        cacheWrite1hPerMtok: '5',
        cacheReadPerMtok: '0.25',
        outputPerMtok: '12.5',
      })
      .returning();
    try {
      const list = await (await caller(me)).model.list();
      expect(list.models.find((m) => m.id === DEFAULT_MODEL)?.price).toEqual({
        input: '2.5',
        output: '12.5',
        cacheWrite5m: '3.125',
        cacheWrite1h: '5',
        cacheRead: '0.25',
      });
    } finally {
      await h.client.db.delete(prices).where(eq(prices.id, row!.id));
    }
    const seeded = await h.client.db.select().from(prices);
    await h.client.db.delete(prices);
    try {
      const list = await (await caller(me)).model.list();
      const opus48 = defaultPriceTable().lookup('claude-opus-4-8');
      expect(list.models.find((m) => m.id === 'claude-opus-4-8')?.price?.output).toBe(
        microsToUsd(opus48!.output),
      );
    } finally {
      await h.client.db.insert(prices).values(seeded);
    }
  });

  it('keeps the list for ten minutes per base URL: served with the provider gone', async () => {
    const own = await startSimulator({ port: 0, apiKeys: [KEY] });
    const first = await (await caller(me, { anthropicBaseUrl: own.url })).model.list();
    await own.close();
    const again = await (await caller(me, { anthropicBaseUrl: own.url })).model.list();
    expect(again.models.map((m) => m.id)).toEqual(first.models.map((m) => m.id));
    // Past the ten minutes the provider is asked again (and is gone).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + MODEL_LIST_TTL_MS + 1);
      const stale = await rejection((await caller(me, { anthropicBaseUrl: own.url })).model.list());
      expect(stale.message).toMatch(/could not be read \(NetworkTimeout/);
    } finally {
      vi.useRealTimers();
    }
    // Another base URL is its own entry: nothing listens there, so it fails.
    const other = await startSimulator({ port: 0 });
    await other.close();
    const err = await rejection((await caller(me, { anthropicBaseUrl: other.url })).model.list());
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toMatch(/could not be read \(NetworkTimeout/);
  });

  it('refuses with a typed error when the key is refused or missing, never naming the key', async () => {
    const own = await startSimulator({ port: 0, apiKeys: [KEY] });
    try {
      const refused = await rejection(
        (
          await caller(me, { anthropicBaseUrl: own.url, anthropicApiKey: 'sk-not-accepted' })
        ).model.list(),
      );
      expect(refused.message).toMatch(/could not be read \(AuthenticationFailure/);
      expect(refused.message).not.toContain('sk-not-accepted');
      // A failure is not kept: the same base URL with the right key answers at once.
      const list = await (await caller(me, { anthropicBaseUrl: own.url })).model.list();
      expect(list.models.length).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
    const missing = await rejection((await caller(me, { anthropicApiKey: null })).model.list());
    expect(missing.message).toMatch(/No provider key is configured/);
  });

  it('is the default a submission without a model gets', () => {
    // The input leaves it out; the submission takes the configuration's (core's without a file).
    const parsed = submitTaskInput.parse({ prompt: 'hi', backend: 'api' });
    expect(parsed.model).toBeUndefined();
    expect(defaultModelFor(instanceConfig(undefined), 'api')).toBe(DEFAULT_MODEL);
    expect(defaultModelFor(instanceConfig(undefined), 'claude-code')).toBe(DEFAULT_MODEL);
    expect(submitTaskInput.safeParse({ prompt: 'hi', backend: 'api', model: ' ' }).success).toBe(
      false,
    );
  });

  it('needs a session for the list and the defaults', async () => {
    const anon = await caller(null);
    expect((await rejection(anon.model.list())).code).toBe('UNAUTHORIZED');
    expect((await rejection(anon.model.defaults())).code).toBe('UNAUTHORIZED');
    expect(await (await caller(me)).model.defaults()).toEqual({
      model: DEFAULT_MODEL,
      fallbackModels: ['claude-haiku-4-5'],
    });
  });

  it('says whether the provider is the simulator, from configuration, signed in or not', async () => {
    expect(await (await caller(null, { providerSimulated: true })).model.provider()).toEqual({
      simulated: true,
    });
    expect(await (await caller(me, { providerSimulated: false })).model.provider()).toEqual({
      simulated: false,
    });
  });
});
