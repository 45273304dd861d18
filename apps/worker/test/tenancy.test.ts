/**
 * Each team on its own key and under its spend caps, enforced by the worker: the simulator sees
 * the key of the task's team; a team barred from the instance's key cannot run; a daily team cap
 * stops a stream of tasks at the cap (plus what was in flight) and the next day they run again;
 * a user's cap inside a team stops only that user.
 */
import { randomBytes } from 'node:crypto';
import { encryptSecret } from '@baton/db/crypto';
import { submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { type TerminalTask, terminalTask, waitUntil } from './wait';

const SECRET = randomBytes(32).toString('hex');
const INSTANCE_KEY = 'sk-instance-tenancy';
const MODEL = 'claude-haiku-4-5';
let h: WorkerHarness;

beforeAll(async () => {
  h = await startWorkerHarness({
    team: { name: 'Instance', slug: 'instance-team' },
    seed: 5,
    apiKey: INSTANCE_KEY,
    concurrency: 4,
    queue: { retryLimit: 1, retryDelaySeconds: 1 },
    secret: SECRET,
  });
  // Every response the same size: 50 in, 200 out on Haiku 4.5 = $0.00105 a task.
  h.sim.configure({
    response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 200 } },
  });
});
afterAll(() => h?.stop());

async function team(slug: string, o: { key?: string; allow?: boolean } = {}) {
  const [t] = await h.client.db
    .insert(teams)
    .values({ name: slug, slug, allowInstanceKey: o.allow ?? false, maxConcurrentTasks: 4 })
    .returning();
  if (o.key) {
    await h.client.pool.query(
      `insert into provider_credentials (team_id, label, ciphertext, fingerprint) values ($1, 'main', $2, 'x')`,
      [t!.id, encryptSecret(SECRET, o.key, `${t!.id}:anthropic:main`)],
    );
  }
  return t!;
}

async function user(id: string) {
  await h.client.pool.query(
    `insert into users (id, name, email) values ($1, $1, $1 || '@tenancy.test') on conflict do nothing`,
    [id],
  );
  return id;
}

const submit = (teamId: string, createdBy?: string) =>
  submitTask(h.client.db, h.boss, {
    teamId,
    prompt: 'Say something.',
    model: MODEL,
    createdBy: createdBy ?? null,
    teamQuota: 4,
  });

async function spent(teamId: string, userId?: string) {
  const { rows } = await h.client.pool.query<{ usd: string }>(
    `select coalesce(sum(cost_usd), 0)::text as usd from usage_events
      where team_id = $1 and ($2::text is null or user_id = $2)`,
    [teamId, userId ?? null],
  );
  return Number(rows[0]!.usd);
}

describe('keys', () => {
  it('a team’s tasks go with its own key; one without may use the instance key only if allowed', async () => {
    h.sim.reset();
    h.sim.configure({ apiKeys: [INSTANCE_KEY, 'sk-team-own-a'] });
    try {
      const own = await team('own-key', { key: 'sk-team-own-a' });
      const shared = await team('shared-key', { allow: true });
      const barred = await team('barred');
      const [a, b, c] = await Promise.all([submit(own.id), submit(shared.id), submit(barred.id)]);
      const [ra, rb, rc] = (await Promise.all(
        [a, b, c].map((t) => terminalTask(h.client.pool, t.id, 60_000)),
      )) as [TerminalTask, TerminalTask, TerminalTask];
      expect(ra.status).toBe('succeeded');
      expect(rb.status).toBe('succeeded');
      expect(rc).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { type: 'AuthenticationFailure' },
      });
      expect(rc.error?.message).toMatch(
        /no provider key of its own and may not use the instance's/,
      );
      const byKey = h.sim.stats().byKey;
      expect(byKey['sk-team-own-a']?.[MODEL]?.admitted).toBe(1);
      expect(byKey[INSTANCE_KEY]?.[MODEL]?.admitted).toBe(1);
      // The key is in no event.
      const { rows } = await h.client.pool.query<{ t: string }>(
        `select string_agg(data::text, ' ') as t from task_events where task_id = any($1::uuid[])`,
        [[a.id, b.id, c.id]],
      );
      expect(rows[0]!.t).not.toContain('sk-team-own-a');
    } finally {
      h.sim.configure({ apiKeys: [] });
    }
  });

  it('a rotated key is used by the tasks that start after it', async () => {
    h.sim.reset();
    const t = await team('rotating', { key: 'sk-rotate-old' });
    expect((await terminalTask(h.client.pool, (await submit(t.id)).id)).status).toBe('succeeded');
    await h.client.pool.query(
      `update provider_credentials set ciphertext = $2, rotated_at = now() where team_id = $1`,
      [t.id, encryptSecret(SECRET, 'sk-rotate-new', `${t.id}:anthropic:main`)],
    );
    expect((await terminalTask(h.client.pool, (await submit(t.id)).id)).status).toBe('succeeded');
    const byKey = h.sim.stats().byKey;
    expect(byKey['sk-rotate-old']?.[MODEL]?.admitted).toBe(1);
    expect(byKey['sk-rotate-new']?.[MODEL]?.admitted).toBe(1);
  });
});

describe('spend caps', () => {
  it('a daily team cap stops a stream of tasks at the cap (plus what was in flight); the next day they run again', async () => {
    const t = await team('capped', { allow: true });
    const cap = 0.005; // about five tasks
    await h.client.pool.query(
      `insert into spend_caps (scope, team_id, period, usd) values ('team', $1, 'daily', $2)`,
      [t.id, cap],
    );
    const tasks = [];
    for (let i = 0; i < 20; i++) tasks.push(await submit(t.id));
    const done = await Promise.all(tasks.map((x) => terminalTask(h.client.pool, x.id, 90_000)));
    const ok = done.filter((d) => d.status === 'succeeded').length;
    const stopped = done.filter((d) => d.status === 'budget_exceeded');
    // How many finish before the cap depends on timing (the response that crosses it stops the
    // tasks still running, the one that sent it too when it had not settled yet): what holds is
    // that some ran, most were stopped, and the spend bounds below.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(stopped.length).toBeGreaterThan(10);
    expect(stopped[0]!.status_reason).toMatch(
      /the team's daily cap of \$0\.005 is reached \(\$0\.00\d+ spent\); it resets at \d{4}-\d\d-\d\dT00:00:00Z/,
    );
    // At most the cap plus the tasks in flight when it was reached (4 at once, $0.00105 each).
    const total = await spent(t.id);
    expect(total).toBeLessThanOrEqual(cap + 4 * 0.00105 + 1e-9);
    expect(total).toBeGreaterThanOrEqual(cap);
    // Tomorrow (the caps' clock moved on, for this worker's connections): the team runs again.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const url = new URL(h.tdb.url);
    url.searchParams.set('options', `-c baton.now=${tomorrow}`);
    const restart = (databaseUrl: string) =>
      h.worker.stop().then(async () => {
        h.worker = await h.startWorker({
          databaseUrl,
          provider: { baseURL: h.sim.url, apiKey: INSTANCE_KEY },
          concurrency: 4,
          secret: SECRET,
        });
      });
    await restart(url.toString());
    try {
      const again = await terminalTask(h.client.pool, (await submit(t.id)).id, 60_000);
      expect(again.status).toBe('succeeded');
    } finally {
      await restart(h.tdb.url);
    }
  });

  it('a user’s cap inside a team stops that user and not the others', async () => {
    const t = await team('users', { allow: true });
    const ann = await user('ann-cap');
    const bob = await user('bob-cap');
    await h.client.pool.query(
      `insert into memberships (team_id, user_id) values ($1, $2), ($1, $3)`,
      [t.id, ann, bob],
    );
    await h.client.pool.query(
      `insert into spend_caps (scope, team_id, user_id, period, usd) values ('user', $1, $2, 'weekly', 0.002)`,
      [t.id, ann],
    );
    const anns = [];
    const bobs = [];
    for (let i = 0; i < 6; i++) {
      anns.push(await submit(t.id, ann));
      bobs.push(await submit(t.id, bob));
    }
    const a = await Promise.all(anns.map((x) => terminalTask(h.client.pool, x.id, 90_000)));
    const b = await Promise.all(bobs.map((x) => terminalTask(h.client.pool, x.id, 90_000)));
    expect(b.every((x) => x.status === 'succeeded')).toBe(true);
    expect(a.filter((x) => x.status === 'budget_exceeded').length).toBeGreaterThanOrEqual(2);
    expect(a.find((x) => x.status === 'budget_exceeded')?.status_reason).toMatch(
      /the user's weekly cap of \$0\.002 is reached/,
    );
    expect(await spent(t.id, ann)).toBeLessThanOrEqual(0.002 + 4 * 0.00105 + 1e-9);
  });

  it('a running task stops when its cap is reached by others (NOTIFY), with budget_exceeded', async () => {
    const t = await team('running-stop', { allow: true });
    // A slow task (streams 200 tokens at 20/s: ~10 s) under a daily cap that others exhaust.
    h.sim.configure({
      response: { ttftMs: 0, tokensPerSecond: 20, outputTokens: { type: 'fixed', tokens: 200 } },
    });
    try {
      await h.client.pool.query(
        `insert into spend_caps (scope, team_id, period, usd) values ('team', $1, 'daily', 0.0001)`,
        [t.id],
      );
      const slow = await submit(t.id);
      await waitUntil(
        async () =>
          (
            await h.client.pool.query(`select 1 from tasks where id = $1 and status = 'running'`, [
              slow.id,
            ])
          ).rowCount === 1,
        30_000,
        'the slow task to run',
      );
      // Spend from elsewhere in the team (a usage row of its own) crosses the cap.
      await h.client.pool.query(
        `insert into usage_events (provider_request_id, team_id, model, cost_usd) values ('req_other', $1, $2, 0.001)`,
        [t.id, MODEL],
      );
      const t0 = Date.now();
      const done = await terminalTask(h.client.pool, slow.id, 30_000);
      expect(done.status).toBe('budget_exceeded');
      expect(done.status_reason).toMatch(/^stopped: the team's daily cap/);
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      h.sim.configure({
        response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 200 } },
      });
    }
  });
});
