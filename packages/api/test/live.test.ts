import {
  alertRules,
  alerts,
  claudeSessions,
  memberships,
  spendCaps,
  tasks,
  usageEvents,
  users,
  workerHeartbeats,
} from '@baton/db/schema';
import { postgresStore } from '@baton/ratelimit/postgres';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlertRules } from '../src/live/alerts';
import { scopeState, scopeVisibleTo } from '../src/live/ratelimit';
import { workerPseudonym } from '../src/router/live';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let outsider: AuthSession;
let teamA: string;
let teamB: string;

beforeAll(async () => {
  h = await setupHarness();
  owner = await makeUser(h, 'Owner');
  outsider = await makeUser(h, 'Outsider');
  teamA = await makeTeam(h, 'live-a', [[owner, 'owner']]);
  teamB = await makeTeam(h, 'live-b', [[outsider, 'owner']]);
});

afterAll(async () => {
  await h?.close();
});

describe('rate-limit buckets', () => {
  it("turns the store's own snapshot into remaining and reset per dimension", () => {
    // The store refilled the levels at its clock (`now`); what is left is the library's
    // bucket math for when each is full again.
    const now = Date.parse('2026-10-01T00:01:00Z');
    const s = scopeState({
      scope: 'org:sonnet',
      now,
      updatedAt: now - 30_000,
      pausedUntil: now + 60_000,
      buckets: {
        requests: { capacity: 60, level: 30 },
        inputTokens: { capacity: 60_000, level: 60_000 },
      },
    });
    expect(s.dimensions).toEqual([
      { dimension: 'requests', limit: 60, remaining: 30, resetAt: new Date(now + 30_000) },
      { dimension: 'inputTokens', limit: 60_000, remaining: 60_000, resetAt: new Date(now) },
    ]);
    expect(s.pausedUntil).toEqual(new Date(now + 60_000));
    expect(s.updatedAt).toEqual(new Date(now - 30_000));
    // A pause that is over is no pause.
    expect(
      scopeState({ scope: 'x', now, updatedAt: now, pausedUntil: now - 1, buckets: {} })
        .pausedUntil,
    ).toBeNull();
  });

  it('hides scopes that name another team', () => {
    const a = '11111111-1111-4111-8111-111111111111';
    const b = '22222222-2222-4222-8222-222222222222';
    expect(scopeVisibleTo('org:sonnet', a)).toBe(true);
    expect(scopeVisibleTo(`team:${a}`, a)).toBe(true);
    expect(scopeVisibleTo(`team:${b}`, a)).toBe(false);
  });
});

/** Starts the task's attempt as a worker does (baton_task_start): running, its session active. */
async function startAttempt(taskId: string): Promise<number> {
  const { rows } = await h.client.pool.query<{ outcome: string; attempt: number }>(
    `select outcome, attempt from baton_task_start($1, 'job-live', 0)`,
    [taskId],
  );
  expect(rows[0]?.outcome).toBe('started');
  return rows[0]!.attempt;
}

/** Ends the attempt as a worker does (baton_task_settle), with its conversation saved. */
async function settleAttempt(taskId: string, attempt: number, status: string): Promise<void> {
  const session = {
    backend: 'api',
    model: 'claude-sonnet-4-5',
    config: {},
    messageCount: 2,
    inputTokens: 30,
    outputTokens: 12,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    summary: null,
    state: { conversationId: taskId },
  };
  await h.client.pool.query(
    `select baton_task_settle($1, $2, null, null, null, null, $3::jsonb, $4)`,
    [taskId, status, JSON.stringify(session), attempt],
  );
}

const queuedTask = async (teamId: string, prompt: string, model = 'claude-sonnet-4-5') => {
  const [t] = await h.client.db
    .insert(tasks)
    .values({ teamId, prompt, model, status: 'queued' })
    .returning();
  return t!.id;
};

describe('live.overview', () => {
  it('shows running tasks, sessions, queue, real limiter buckets and nothing of other teams', async () => {
    const running = await queuedTask(teamA, 'busy');
    await startAttempt(running);
    await queuedTask(teamA, 'wait');
    await startAttempt(await queuedTask(teamB, 'theirs', 'secret-model'));
    // The limiter's own PostgreSQL store creates and fills the table.
    const store = postgresStore(h.client.pool);
    await store.reserve('org:sonnet', {
      amounts: { requests: 1, inputTokens: 100 },
      capacity: { requests: 50, inputTokens: 10_000 },
    });
    await store.reserve(`team:${teamB}`, { amounts: { requests: 1 }, capacity: { requests: 5 } });

    const live = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(live.running.map((t) => t.id)).toEqual([running]);
    expect(live.sessions.map((s) => [s.taskId, s.taskPrompt, s.attempt, s.model])).toEqual([
      [running, 'busy', 1, 'claude-sonnet-4-5'],
    ]);
    expect(live.fleetSessions.active).toBe(2);
    expect(live.queue.teamQueued).toBe(1);
    expect(live.queue.teamRunning).toBe(1);
    expect(live.queue.fleetRunning).toBe(2);
    expect(live.limits.available).toBe(true);
    expect(live.limits.scopes.map((s) => s.scope)).toEqual(['org:sonnet']);
    const req = live.limits.scopes[0]!.dimensions.find((d) => d.dimension === 'requests')!;
    expect(req.limit).toBe(50);
    expect(req.remaining).toBeGreaterThanOrEqual(49);
    expect(req.remaining).toBeLessThanOrEqual(50);
    expect(JSON.stringify(live)).not.toContain('secret-model');
    expect(JSON.stringify(live)).not.toContain(teamB);
  });

  it("lists a session while its task's attempt runs, and no longer once it ended", async () => {
    const caller = await callerFor(h, owner);
    const ids = (await caller.live.overview({ teamId: teamA })).sessions.map((s) => s.taskId);
    const t = await queuedTask(teamA, 'retried then done');
    const first = await startAttempt(t);
    let live = await caller.live.overview({ teamId: teamA });
    expect(live.sessions.map((s) => s.taskId)).toEqual([t, ...ids]);
    expect(live.sessions.length).toBe(live.running.length);

    // The attempt failed and a retry is coming: idle, not listed, though the task is queued.
    await settleAttempt(t, first, 'queued');
    live = await caller.live.overview({ teamId: teamA });
    expect(live.sessions.map((s) => s.taskId)).toEqual(ids);
    const [row] = await h.client.db
      .select({ state: claudeSessions.state, messages: claudeSessions.messageCount })
      .from(claudeSessions)
      .where(eq(claudeSessions.taskId, t));
    expect(row).toEqual({ state: 'idle', messages: 2 });

    // The retry runs (the saved conversation's figures shown), then succeeds: closed.
    const second = await startAttempt(t);
    live = await caller.live.overview({ teamId: teamA });
    expect(live.sessions[0]).toMatchObject({ taskId: t, attempt: 2, messageCount: 2 });
    expect(live.sessions[0]!.inputTokens + live.sessions[0]!.outputTokens).toBe(42);
    await settleAttempt(t, second, 'succeeded');
    live = await caller.live.overview({ teamId: teamA });
    expect(live.sessions.map((s) => s.taskId)).toEqual(ids);
    expect(live.sessions.length).toBe(live.running.length);
  });

  it("counts the live workers' pools beside the active sessions, and not a stopped worker's", async () => {
    const at = new Date();
    const beat = (id: string, active: number, stoppedAt: Date | null) => ({
      id,
      hostname: 'h',
      pid: 1,
      startedAt: at,
      lastSeenAt: at,
      stoppedAt,
      concurrency: 8,
      running: active,
      breakers: [],
      pool: { active, idle: 3, waiting: 0, max: 8 },
    });
    await h.client.db
      .insert(workerHeartbeats)
      .values([beat('pool-a-1', 1, null), beat('pool-b-2', 1, null), beat('pool-c-3', 4, at)]);
    const live = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(live.fleetSessions.inPools).toBe(2);
    await h.client.db.delete(workerHeartbeats);
  });
});

describe('alert rules → alerts', () => {
  it("rate_limit_remaining_ratio reads the limiter's own store: the lowest share left of the team's visible scopes", async () => {
    const store = postgresStore(h.client.pool);
    const team = await makeTeam(h, 'live-rl', [[owner, 'owner']]);
    await store.reserve(`team:${team}`, { amounts: { requests: 8 }, capacity: { requests: 10 } });
    const [rule] = await h.client.db
      .insert(alertRules)
      .values({
        teamId: team,
        name: 'Limits',
        metric: 'rate_limit_remaining_ratio',
        comparator: 'lt',
        threshold: '50',
        windowMinutes: 5,
      })
      .returning();
    const [ev] = await evaluateAlertRules(h.client.db, team);
    expect(ev!.ruleId).toBe(rule!.id);
    // 2 of 10 left (refilled a little since, at 10 per minute): about 20 %, under 50 %.
    expect(ev!.value).toBeGreaterThanOrEqual(20);
    expect(ev!.value).toBeLessThan(30);
    expect(ev!.firing).toBe(true);
  });

  it('opens one alert while a rule fires, refreshes it, and resolves it when it clears', async () => {
    const [rule] = await h.client.db
      .insert(alertRules)
      .values({
        teamId: teamA,
        name: 'Spend',
        metric: 'cost_per_day_usd',
        threshold: '10',
        windowMinutes: 60,
      })
      .returning();
    const now = new Date('2026-11-02T10:00:00Z');
    expect(await evaluateAlertRules(h.client.db, teamA, now)).toEqual([
      { ruleId: rule!.id, value: 0, firing: false },
    ]);
    // Today (UTC) so far: $7 at 00:00:00 and $4 at 09:59 = $11 > $10. Yesterday's $50 at
    // 23:59:59 is not today's; a row stamped after `now` is not "so far".
    const usage = (id: string, costUsd: string, at: string) => ({
      providerRequestId: id,
      teamId: teamA,
      model: 'claude-sonnet-4-5',
      costUsd,
      createdAt: new Date(at),
    });
    await h.client.db
      .insert(usageEvents)
      .values([
        usage('req_live_y', '50', '2026-11-01T23:59:59.999Z'),
        usage('req_live_0', '7', '2026-11-02T00:00:00Z'),
        usage('req_live_1', '4', '2026-11-02T09:59:00Z'),
        usage('req_live_later', '100', '2026-11-02T10:30:00Z'),
      ]);
    const fired = await evaluateAlertRules(h.client.db, teamA, now);
    expect(fired[0]).toMatchObject({ firing: true, value: 11 });
    await evaluateAlertRules(h.client.db, teamA, now);
    const live = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(live.alerts).toHaveLength(1);
    expect(live.alerts[0]).toMatchObject({ state: 'open', ruleName: 'Spend' });
    expect(live.alerts[0]!.message).toBe(
      'Spend: Cost today so far (UTC day) is $11.00 (over $10.00)',
    );
    // The next UTC day at 09:00: nothing spent yet that day → resolved. Reading the Live page
    // evaluates nothing.
    const nextDay = new Date('2026-11-03T09:00:00Z');
    expect(await evaluateAlertRules(h.client.db, teamA, nextDay)).toEqual([
      { ruleId: rule!.id, value: 0, firing: false },
    ]);
    const after = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(after.alerts.map((a) => a.state)).toEqual(['resolved']);
    expect(after.openAlerts).toBe(0);
    // The other team sees none of it.
    const theirs = await (await callerFor(h, outsider)).live.overview({ teamId: teamB });
    expect(theirs.alerts).toEqual([]);
    await h.client.db.delete(alertRules).where(eq(alertRules.id, rule!.id));
  });
});

describe('fleet host details', () => {
  it('hostnames, PIDs and worker ids made of them only for instance operators', async () => {
    const operator = await makeUser(h, 'Operator');
    await h.client.db.update(users).set({ isOperator: true }).where(eq(users.id, operator.user.id));
    await h.client.db
      .insert(memberships)
      .values({ teamId: teamA, userId: operator.user.id, role: 'viewer' });
    await h.client.db.insert(workerHeartbeats).values({
      id: 'build-host-7-4242',
      hostname: 'build-host-7',
      pid: 4242,
      startedAt: new Date(Date.now() - 60_000),
      concurrency: 4,
      running: 1,
      breakers: [{ provider: 'anthropic', model: 'claude-haiku-4-5', state: 'open' }],
    });
    // A spend cap's alert is listed with the rules' (it has no rule).
    const [cap] = await h.client.db
      .insert(spendCaps)
      .values({ scope: 'team', teamId: teamA, period: 'daily', usd: '1' })
      .returning();
    await h.client.db.insert(alerts).values({
      capId: cap!.id,
      thresholdPct: 75,
      periodStart: new Date('2026-11-02T00:00:00Z'),
      teamId: teamA,
      value: '80',
      message: "The team's daily cap of $1.00 is 80.0% used",
    });

    const asOwner = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    const asOperator = await (await callerFor(h, operator)).live.overview({ teamId: teamA });

    expect(asOperator.details).toBe(true);
    const full = asOperator.workers.find((w) => w.id === 'build-host-7-4242');
    expect(full?.heartbeat).toMatchObject({ hostname: 'build-host-7', pid: 4242, running: 1 });
    expect(asOperator.breakers).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        state: 'open',
        workers: [{ id: 'build-host-7-4242', state: 'open' }],
      },
    ]);

    expect(asOwner.details).toBe(false);
    const alias = workerPseudonym('build-host-7-4242');
    expect(alias).toMatch(/^worker-[0-9a-f]{8}$/);
    const seen = asOwner.workers.find((w) => w.id === alias);
    expect(seen?.heartbeat).toMatchObject({
      hostname: null,
      pid: null,
      running: 1,
      concurrency: 4,
    });
    expect(asOwner.breakers[0]?.workers).toEqual([{ id: alias, state: 'open' }]);
    const payload = JSON.stringify(asOwner);
    expect(payload).not.toContain('build-host-7');
    expect(payload).not.toContain('4242');
    // The same alias on the next poll.
    const again = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(again.workers.map((w) => w.id)).toEqual(asOwner.workers.map((w) => w.id));

    expect(asOwner.alerts.find((a) => a.kind === 'cap')).toMatchObject({
      ruleName: 'Spend cap at 75 %',
      thresholdPct: 75,
      state: 'open',
      metric: null,
    });
    await h.client.db.delete(workerHeartbeats).where(eq(workerHeartbeats.id, 'build-host-7-4242'));
    await h.client.db.delete(spendCaps).where(eq(spendCaps.id, cap!.id));
  });
});
