import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationFailureError, NetworkTimeoutError } from './errors.js';
import { listProviderModels } from './provider-models.js';
import { KEY, sim } from './testing/sim.js';

describe('listProviderModels (against the simulator)', () => {
  let s: RunningSimulator;
  let closed: RunningSimulator;
  beforeAll(async () => {
    s = await sim({ apiKeys: [KEY] });
    closed = await sim();
    await closed.close();
  });
  afterAll(() => s.close());

  it('lists every model across pages, newest first', async () => {
    const models = await listProviderModels({ baseURL: s.url, apiKey: KEY });
    // Pages of 5: the same list, every page followed.
    const paged = await listProviderModels({ baseURL: s.url, apiKey: KEY, pageSize: 5 });
    expect(models.length).toBeGreaterThan(5);
    expect(paged).toEqual(models);
    const ids = models.map((m) => m.id);
    expect(ids).toContain('claude-sonnet-5');
    expect(ids).toContain('claude-sonnet-4-5-20250929');
    expect(new Set(ids).size).toBe(ids.length);
    const sonnet5 = models.find((m) => m.id === 'claude-sonnet-5');
    expect(sonnet5).toEqual({
      id: 'claude-sonnet-5',
      displayName: 'Claude Sonnet 5',
      createdAt: expect.stringMatching(/^2026-06-10T/),
    });
    const created = models.map((m) => Date.parse(m.createdAt));
    expect(created[0]).toBeGreaterThanOrEqual(created[created.length - 1] as number);
  });

  it('throws core typed errors: a refused key, an unreachable provider', async () => {
    const refused = await listProviderModels({ baseURL: s.url, apiKey: 'sk-wrong' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(AuthenticationFailureError);
    expect((refused as Error).message).not.toContain('sk-wrong');
    const down = await listProviderModels({ baseURL: closed.url, apiKey: KEY }).catch(
      (e: unknown) => e,
    );
    expect(down).toBeInstanceOf(NetworkTimeoutError);
  });
});
