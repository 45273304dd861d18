import { submitTask } from '@baton/db/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from '../test/harness';
import { waitUntil } from '../test/wait';

// A real worker (core runner, simulator) writing its heartbeat: breaker states come from the runs.
let h: WorkerHarness;

interface Beat {
  id: string;
  running: number;
  concurrency: number;
  stopped_at: Date | null;
  last_seen_at: Date;
  breakers: { provider: string; model: string; state: string }[];
  pool: { active: number; idle?: number; waiting?: number; max?: number } | null;
}

async function beatOf(id: string): Promise<Beat | undefined> {
  const { rows } = await h.client.pool.query<Beat>(
    'select * from worker_heartbeats where id = $1',
    [id],
  );
  return rows[0];
}

const until = <T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 90_000) =>
  waitUntil(
    async () => {
      const v = await fn();
      return ok(v) ? v : undefined;
    },
    ms,
    what,
  );

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'HB', slug: 'hb' },
    seed: 11,
    workerId: 'hb-worker',
    apiKey: 'sk-sim-heartbeat',
    concurrency: 3,
    queue: { retryLimit: 0, retryDelaySeconds: 1 },
  });
});

afterAll(async () => {
  await h?.stop();
});

async function runTask(model: string, fallbackModels: string[]) {
  const task = await submitTask(h.client.db, h.boss, {
    teamId: h.teamId,
    prompt: 'hello',
    model,
    fallbackModels,
  });
  const done = await until(
    async () =>
      (
        await h.client.pool.query<{ status: string }>(
          `select status from tasks where id = $1 and status in ('succeeded','failed','cancelled','timed_out')`,
          [task.id],
        )
      ).rows[0],
    (r) => r !== undefined,
    `task ${task.id}`,
  );
  return done!;
}

describe('worker heartbeat', () => {
  it('beats at start with its capacity and no breakers yet', async () => {
    const beat = await until(
      () => beatOf('hb-worker'),
      (b) => b !== undefined,
      'a first beat',
    );
    expect(beat).toMatchObject({ concurrency: 3, running: 0, stopped_at: null, breakers: [] });
    expect(beat!.pool).toEqual({ active: 0, idle: 0, waiting: 0, max: 3 });
  });

  it("reports a model's breaker closed once it answers and open after it keeps failing", async () => {
    expect((await runTask('claude-sonnet-4-5', [])).status).toBe('succeeded');
    await until(
      () => beatOf('hb-worker'),
      (b) => !!b?.breakers.some((x) => x.model === 'claude-sonnet-4-5' && x.state === 'closed'),
      'the sonnet breaker in the heartbeat',
    );

    // Opus overloaded on every call: 2 attempts per task, the breaker opens after 5 failures.
    h.sim.configure({ faults: 'overloaded@claude-opus-4-5:always' });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await runTask('claude-opus-4-5', ['claude-sonnet-4-5'])).status).toBe('succeeded');
      }
    } finally {
      h.sim.configure({ faults: null });
    }
    const beat = await until(
      () => beatOf('hb-worker'),
      (b) => !!b?.breakers.some((x) => x.model === 'claude-opus-4-5' && x.state === 'open'),
      'the opus breaker open in the heartbeat',
    );
    expect(beat!.breakers.find((x) => x.model === 'claude-sonnet-4-5')?.state).toBe('closed');

    // The same state is on /metrics (2 = open).
    const metrics = await (await fetch(`${h.worker.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/baton_breaker_state\{breaker="anthropic\/claude-opus-4-5"\} 2/);
    // The four finished conversations are kept idle in the session pool for reuse, none leased.
    expect(metrics).toMatch(/baton_session_pool_sessions\{state="idle"\} 4\b/);
    expect(metrics).toMatch(/baton_session_pool_sessions\{state="active"\} 0\b/);
    // The shared buckets the runs went through (those whose limits are known: the simulator's
    // headers told them), with what remains of each dimension.
    const remaining = [
      ...metrics.matchAll(/baton_ratelimit_remaining\{scope="([^"]+)",dimension="(\w+)"\} (\d+)/g),
    ].map(([, scope, dimension, n]) => ({ scope, dimension, n: Number(n) }));
    const { rows: scopes } = await h.client.pool.query<{ scope: string }>(
      `select scope from baton_ratelimit_buckets b
        where exists (select 1 from unnest(b.capacity, b.level) as u(c, l) where c is not null and l is not null)`,
    );
    expect(scopes.length).toBeGreaterThan(0);
    expect([...new Set(remaining.map((r) => r.scope))].sort()).toEqual(
      scopes.map((r) => r.scope).sort(),
    );
    expect(remaining.some((r) => r.dimension === 'requests' && r.n > 0)).toBe(true);
    const idle = await until(
      () => beatOf('hb-worker'),
      (b) => b?.pool?.idle === 4,
      'the idle sessions in the heartbeat',
    );
    expect(idle!.pool).toEqual({ active: 0, idle: 4, waiting: 0, max: 3 });
  });

  it('marks itself stopped on a clean stop', async () => {
    await h.worker.stop();
    const beat = await beatOf('hb-worker');
    expect(beat?.stopped_at).toBeInstanceOf(Date);
  });
});
