/** The Live page's workers and circuit breakers, from the heartbeats workers write. */
import { users, workerHeartbeats } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetBreakers } from '../src/router/live';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, setupHarness } from './harness';

let h: Harness;
let viewer: AuthSession;
let teamId: string;

beforeAll(async () => {
  h = await setupHarness();
  viewer = await makeUser(h, 'Viewer');
  // Worker ids are host details: an instance operator sees them (others a pseudonym, see
  // live.test.ts), so the viewer here operates the instance.
  await h.client.db.update(users).set({ isOperator: true }).where(eq(users.id, viewer.user.id));
  teamId = await makeTeam(h, 'fleet', [[viewer, 'viewer']]);
});

afterAll(async () => {
  await h?.close();
});

describe('workers and breakers on the Live page', () => {
  it('lists each worker with its health and the worst breaker state per model across live workers', async () => {
    const now = Date.now();
    const base = { hostname: 'box', concurrency: 8, startedAt: new Date(now - 600_000) };
    await h.client.db.insert(workerHeartbeats).values([
      {
        ...base,
        id: 'w-1',
        pid: 11,
        lastSeenAt: new Date(now - 2_000),
        running: 3,
        pool: { active: 3, idle: 1, waiting: 0, max: 8 },
        sandbox: { mode: 'required', ok: true, resources: 'cgroup1', version: '0.8.0' },
        breakers: [
          { provider: 'anthropic', model: 'claude-sonnet-5', state: 'open' },
          { provider: 'anthropic', model: 'claude-haiku-4-5', state: 'closed' },
        ],
      },
      {
        ...base,
        id: 'w-2',
        pid: 12,
        lastSeenAt: new Date(now - 1_000),
        running: 0,
        pool: { active: 0, idle: 0, waiting: 0, max: 8 },
        sandbox: { mode: 'off', ok: false, reason: 'BATON_SANDBOX=off' },
        breakers: [{ provider: 'anthropic', model: 'claude-sonnet-5', state: 'half-open' }],
      },
      {
        // Stopped cleanly a minute ago: listed, its breakers no longer count.
        ...base,
        id: 'w-3',
        pid: 13,
        lastSeenAt: new Date(now - 60_000),
        stoppedAt: new Date(now - 60_000),
        breakers: [{ provider: 'anthropic', model: 'claude-opus-5', state: 'open' }],
      },
      {
        // Silent for two minutes: stale.
        ...base,
        id: 'w-4',
        pid: 14,
        lastSeenAt: new Date(now - 120_000),
        breakers: [{ provider: 'anthropic', model: 'claude-opus-5', state: 'isolated' }],
      },
      {
        // Gone for an hour: not listed.
        ...base,
        id: 'w-5',
        pid: 15,
        lastSeenAt: new Date(now - 3_600_000),
      },
    ]);
    const live = await (await callerFor(h, viewer)).live.overview({ teamId });
    const byId = Object.fromEntries(live.workers.map((w) => [w.id, w]));
    expect(Object.keys(byId)).toEqual(['w-1', 'w-2', 'w-3', 'w-4']);
    expect(byId['w-1']).toMatchObject({
      status: 'busy',
      heartbeat: { running: 3, concurrency: 8, pool: { active: 3, idle: 1 } },
    });
    expect(byId['w-2']?.status).toBe('idle');
    // Each worker's sandbox, for the Live page's warnings (null from a worker that never said).
    expect(byId['w-1']?.sandbox).toEqual({
      mode: 'required',
      ok: true,
      resources: 'cgroup1',
      version: '0.8.0',
    });
    expect(byId['w-2']?.sandbox).toEqual({ mode: 'off', ok: false, reason: 'BATON_SANDBOX=off' });
    expect(byId['w-3']?.sandbox).toBeNull();
    expect(byId['w-3']?.status).toBe('stopped');
    expect(byId['w-4']?.status).toBe('stale');
    expect(live.breakers).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-sonnet-5',
        state: 'open',
        workers: [
          { id: 'w-1', state: 'open' },
          { id: 'w-2', state: 'half-open' },
        ],
      },
      {
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        state: 'closed',
        workers: [{ id: 'w-1', state: 'closed' }],
      },
    ]);
  });

  it('fleetBreakers ignores workers without a heartbeat', () => {
    expect(
      fleetBreakers([
        {
          id: 'x',
          connections: 1,
          activeQueries: 0,
          connectedSince: null,
          lastActivityAt: null,
          status: 'idle',
          sandbox: null,
          heartbeat: null,
        },
      ]),
    ).toEqual([]);
  });
});
