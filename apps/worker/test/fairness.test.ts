/**
 * Fair share: team A floods the queue with 1,000 tasks, then team B submits 10. B's tasks start
 * within their fair share of the workers — the bound asserted: before B's last task starts, A
 * starts at most as many as the worker has slots (8) plus B's own count (10), where
 * first-in-first-out would start all of A's 1,000 first.
 */
import { submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask } from './wait';

let h: WorkerHarness;
const SLOTS = 8;

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'Flood', slug: 'flood' },
    seed: 9,
    apiKey: 'sk-fair',
    concurrency: SLOTS,
    queue: { retryLimit: 0, retryDelaySeconds: 1 },
  });
  // Each task takes ~40 ms at the provider: the flood lasts long enough to be seen.
  h.sim.configure({
    response: { ttftMs: 40, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 } },
  });
});
afterAll(() => h?.stop());

describe('fair share', () => {
  it('a flood of one team does not hold back another team’s tasks', {
    timeout: 240_000,
  }, async () => {
    await h.client.pool.query('update teams set max_concurrent_tasks = $2 where id = $1', [
      h.teamId,
      SLOTS,
    ]);
    const [b] = await h.client.db
      .insert(teams)
      .values({ name: 'Small', slug: 'small', allowInstanceKey: true, maxConcurrentTasks: SLOTS })
      .returning();
    const submit = (teamId: string, i: number) =>
      submitTask(h.client.db, h.boss, {
        teamId,
        prompt: `task ${i}`,
        model: 'claude-haiku-4-5',
        teamQuota: SLOTS,
      });
    // The queue as a flood leaves it: the worker is away while A's 1,000 and then B's 10 arrive.
    await h.worker.stop();
    for (let i = 0; i < 1000; i++) await submit(h.teamId, i);
    const small = [];
    for (let i = 0; i < 10; i++) small.push(await submit(b!.id, i));
    const bSubmitted = new Date(0);
    h.worker = await h.startWorker({
      provider: { baseURL: h.sim.url, apiKey: 'sk-fair' },
      concurrency: SLOTS,
      queue: { retryLimit: 0, retryDelaySeconds: 1 },
    });
    const done = await Promise.all(small.map((t) => terminalTask(h.client.pool, t.id, 120_000)));
    expect(done.every((d) => d.status === 'succeeded')).toBe(true);
    const { rows } = await h.client.pool.query<{ a_started: number; a_left: number; b_last: Date }>(
      `with b as (select max(started_at) as last from tasks where team_id = $2)
       select (select count(*)::int from tasks where team_id = $1 and started_at >= $3 and started_at <= b.last) as a_started,
              (select count(*)::int from tasks where team_id = $1 and status = 'queued') as a_left,
              b.last as b_last
         from b`,
      [h.teamId, b!.id, bSubmitted],
    );
    const r = rows[0]!;
    console.log(JSON.stringify({ a_started_while_b: r.a_started, a_still_queued: r.a_left }));
    expect(r.a_started).toBeLessThanOrEqual(SLOTS + 10);
    expect(r.a_left).toBeGreaterThan(500); // B did not wait for the flood
    // Stop the flood: cancel A's rest (the test's worker then drains quickly).
    await h.client.pool.query(
      `update tasks set status = 'cancelled', finished_at = now() where team_id = $1 and status = 'queued'`,
      [h.teamId],
    );
  });
});
