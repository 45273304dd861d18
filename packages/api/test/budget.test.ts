/**
 * Spend caps through the procedures, on real PostgreSQL: who may set which cap, the operator's
 * ceilings, the refusal at submit (the cap, the spend and the reset time), a team barred from
 * the instance key, and the 75 % / 95 % alerts once per cap and period — every number by hand.
 */
import {
  alerts,
  providerCredentials,
  spendCaps,
  teams,
  usageEvents,
  users,
} from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PROVIDER_KEY_MESSAGE } from '../src/budget';
import { evaluateCapAlerts } from '../src/live/alerts';
import type { AuthSession } from '../src/trpc';
import {
  callerFor,
  fieldErrorOf,
  type Harness,
  makeTeam,
  makeUser,
  rejection,
  setupHarness,
} from './harness';

let h: Harness;
let operator: AuthSession;
let admin: AuthSession;
let member: AuthSession;
let viewer: AuthSession;
let teamId: string;
let barredId: string;

const appCode = (err: { cause?: unknown }) => (err.cause as { code?: string } | undefined)?.code;

let seq = 0;
async function spend(team: string, userId: string | null, usd: string, at = new Date()) {
  await h.client.db.insert(usageEvents).values({
    providerRequestId: `req_budget_${++seq}`,
    teamId: team,
    userId,
    model: 'claude-sonnet-4-5',
    costUsd: usd,
    createdAt: at,
  });
}

beforeAll(async () => {
  h = await setupHarness();
  operator = await makeUser(h, 'Operator');
  await h.client.db.update(users).set({ isOperator: true }).where(eq(users.id, operator.user.id));
  admin = await makeUser(h, 'Admin');
  member = await makeUser(h, 'Member');
  viewer = await makeUser(h, 'Viewer');
  teamId = await makeTeam(h, 'capped', [
    [admin, 'admin'],
    [member, 'member'],
    [viewer, 'viewer'],
  ]);
  barredId = await makeTeam(h, 'barred', [[admin, 'owner']], { allowInstanceKey: false });
});

afterAll(async () => {
  await h?.close();
});

describe('budget procedures', () => {
  it('team admins set team and user caps up to the ceiling; instance caps and ceilings are operators’', async () => {
    const asAdmin = await callerFor(h, admin);
    const asOperator = await callerFor(h, operator);

    const ceiling = await asOperator.budget.set({
      teamId,
      scope: 'team',
      period: 'daily',
      usd: 10,
      ceiling: true,
    });
    expect(ceiling).toMatchObject({ scope: 'team', usd: '10.00', setByOperator: true });

    const above = await rejection(
      asAdmin.budget.set({ teamId, scope: 'team', period: 'daily', usd: '10.01' }),
    );
    expect(fieldErrorOf(above)).toEqual({
      code: 'BAD_REQUEST',
      field: 'usd',
      message: "Above the operator's daily ceiling for this team ($10.00): use $10.00 or less.",
    });
    const cap = await asAdmin.budget.set({ teamId, scope: 'team', period: 'daily', usd: '8.5' });
    expect(cap).toMatchObject({ usd: '8.50', spent: '0.00', usedPct: 0, reached: false });

    // The admin cannot touch the operator's ceiling nor set an instance cap.
    const removeCeiling = await rejection(
      asAdmin.budget.remove({ teamId, scope: 'team', period: 'daily', ceiling: true }),
    );
    expect(removeCeiling.code).toBe('FORBIDDEN');
    expect(removeCeiling.message).toBe(
      "Only an operator of this Baton instance can remove a team's ceiling.",
    );
    const instance = await rejection(
      asAdmin.budget.set({ scope: 'instance', period: 'monthly', usd: 100 }),
    );
    expect(instance.code).toBe('FORBIDDEN');
    expect(instance.message).toBe('Only an operator of this Baton instance can set instance caps.');

    // A member is not an admin; a user cap names a member of the team.
    const byMember = await rejection(
      (await callerFor(h, member)).budget.set({ teamId, scope: 'team', period: 'weekly', usd: 1 }),
    );
    expect(byMember.code).toBe('FORBIDDEN');
    const stranger = await rejection(
      asAdmin.budget.set({
        teamId,
        scope: 'user',
        userId: operator.user.id,
        period: 'daily',
        usd: 1,
      }),
    );
    expect(fieldErrorOf(stranger)).toMatchObject({
      field: 'userId',
      message: 'Not a member of this team.',
    });
    const malformed = await rejection(
      asAdmin.budget.set({ teamId, scope: 'team', period: 'daily', usd: '1.23456' }),
    );
    expect(fieldErrorOf(malformed)).toMatchObject({
      field: 'usd',
      message: 'Use an amount in USD with at most 4 decimals, e.g. 12.50.',
    });

    // The list shows all three (the ceiling first among the team's daily caps).
    const list = await (await callerFor(h, viewer)).budget.list({ teamId });
    expect(list.canEdit).toBe(false);
    expect(list.caps.map((c) => [c.scope, c.period, c.usd, c.setByOperator])).toEqual([
      ['team', 'daily', '10.00', true],
      ['team', 'daily', '8.50', false],
    ]);

    // Cleaning up: the admin removes theirs, the operator the ceiling.
    await asAdmin.budget.remove({ teamId, scope: 'team', period: 'daily' });
    await asOperator.budget.remove({ teamId, scope: 'team', period: 'daily', ceiling: true });
    const gone = await rejection(asAdmin.budget.remove({ teamId, scope: 'team', period: 'daily' }));
    expect(gone.code).toBe('NOT_FOUND');
    expect(gone.message).toBe('There is no daily team cap to remove.');
  });

  it('the concurrency quota stays under the operator’s ceiling; operators set key permission and weight', async () => {
    const asAdmin = await callerFor(h, admin);
    const asOperator = await callerFor(h, operator);
    const set = await asOperator.team.setOperatorSettings({
      teamId,
      maxConcurrentCeiling: 3,
      shareWeight: 5,
      allowInstanceKey: true,
    });
    expect(set).toMatchObject({ maxConcurrentCeiling: 3, shareWeight: 5, allowInstanceKey: true });
    expect(set.maxConcurrentTasks).toBeLessThanOrEqual(3);
    const tooMany = await rejection(asAdmin.team.update({ teamId, maxConcurrentTasks: 1000 }));
    expect(fieldErrorOf(tooMany)).toEqual({
      code: 'BAD_REQUEST',
      field: 'maxConcurrentTasks',
      message: 'At most 3: the ceiling an instance operator set for this team.',
    });
    expect((await asAdmin.team.update({ teamId, maxConcurrentTasks: 2 })).maxConcurrentTasks).toBe(
      2,
    );
    // Lowering the ceiling below the quota brings the quota down with it.
    expect(
      (await asOperator.team.setOperatorSettings({ teamId, maxConcurrentCeiling: 1 }))
        .maxConcurrentTasks,
    ).toBe(1);
    const byAdmin = await rejection(asAdmin.team.setOperatorSettings({ teamId, shareWeight: 100 }));
    expect(byAdmin.code).toBe('FORBIDDEN');
    const [row] = await h.client.db.select().from(teams).where(eq(teams.id, teamId));
    expect(row).toMatchObject({ shareWeight: 5, maxConcurrentCeiling: 1, maxConcurrentTasks: 1 });
    const team = await asAdmin.team.get({ teamId });
    expect(team).toMatchObject({ allowInstanceKey: true, shareWeight: 5, hasOwnKey: false });
    await asOperator.team.setOperatorSettings({ teamId, maxConcurrentCeiling: 8 });
    await asAdmin.team.update({ teamId, maxConcurrentTasks: 4 });
  });

  it('team.update’s monthly budget is the team’s monthly cap', async () => {
    const asAdmin = await callerFor(h, admin);
    expect((await asAdmin.team.update({ teamId, monthlyBudgetUsd: 0.05 })).monthlyBudgetUsd).toBe(
      '0.05',
    );
    const [cap] = await h.client.db.select().from(spendCaps).where(eq(spendCaps.teamId, teamId));
    expect(cap).toMatchObject({ scope: 'team', period: 'monthly', usd: '0.0500' });
    expect((await asAdmin.team.get({ teamId })).monthlyBudgetUsd).toBe('0.05');
    expect((await asAdmin.team.update({ teamId, monthlyBudgetUsd: null })).monthlyBudgetUsd).toBe(
      null,
    );
    expect(await h.client.db.select().from(spendCaps).where(eq(spendCaps.teamId, teamId))).toEqual(
      [],
    );
  });
});

describe('refusal at submit', () => {
  it('a reached cap refuses the task with the cap, the spend and the reset time', async () => {
    const asAdmin = await callerFor(h, admin);
    await asAdmin.budget.set({
      teamId,
      scope: 'user',
      userId: member.user.id,
      period: 'daily',
      usd: 1,
    });
    // The member spent $0.60 + $0.45 = $1.05 today; the admin nothing.
    await spend(teamId, member.user.id, '0.6');
    await spend(teamId, member.user.id, '0.45');
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    const resetText = reset.toISOString().replace('.000Z', 'Z');
    const refused = await rejection(
      (await callerFor(h, member)).task.submit({ teamId, prompt: 'x', backend: 'api', model: 'm' }),
    );
    expect(refused.code).toBe('FORBIDDEN');
    expect(appCode(refused)).toBe('BUDGET_EXCEEDED');
    expect(refused.message).toBe(
      `The user's daily cap of $1.00 is reached ($1.0500 spent); it resets at ${resetText}`,
    );
    expect((refused.cause as { meta?: unknown }).meta).toEqual({
      details: {
        scope: 'user',
        period: 'daily',
        usd: '1.00',
        spent: '1.05',
        resetsAt: reset.toISOString(),
      },
    });
    // The admin's own tasks are not under the member's cap: refused only by the queue here.
    const admins = await rejection(
      asAdmin.task.submit({ teamId, prompt: 'x', backend: 'api', model: 'm' }),
    );
    expect(appCode(admins)).not.toBe('BUDGET_EXCEEDED');
    expect(admins.message).toBe('The job queue is not configured here.');
    await asAdmin.budget.remove({ teamId, scope: 'user', userId: member.user.id, period: 'daily' });
  });

  it('a team without a key of its own that may not use the instance key is refused clearly', async () => {
    const asOwner = await callerFor(h, admin);
    const refused = await rejection(
      asOwner.task.submit({ teamId: barredId, prompt: 'x', backend: 'api', model: 'm' }),
    );
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe(NO_PROVIDER_KEY_MESSAGE);
    // With a key of its own it gets past the check (to the queue, absent in this test).
    await h.client.db.insert(providerCredentials).values({
      teamId: barredId,
      provider: 'anthropic',
      label: 'own',
      ciphertext: 'v1:x:y:z',
      fingerprint: 'sk-ant-…abcd · 000000',
    });
    const next = await rejection(
      asOwner.task.submit({ teamId: barredId, prompt: 'x', backend: 'api', model: 'm' }),
    );
    expect(next.message).toBe('The job queue is not configured here.');
  });
});

describe('cap alerts', () => {
  it('fire at 75 % and 95 % of each cap, once per cap and period, and again the next period', async () => {
    const team = await makeTeam(h, 'alerting', [[admin, 'owner']]);
    const asAdmin = await callerFor(h, admin);
    const cap = await asAdmin.budget.set({ teamId: team, scope: 'team', period: 'daily', usd: 4 });
    const day = (d: number, hh: number) => new Date(Date.UTC(2026, 10, d, hh));
    const capAlerts = () =>
      h.client.db
        .select()
        .from(alerts)
        .where(eq(alerts.capId, cap.capId))
        .orderBy(alerts.thresholdPct, alerts.periodStart);

    // Nov 2: $2.90 of $4.00 = 72.5 %: nothing yet.
    await spend(team, admin.user.id, '1.5', day(2, 1));
    await spend(team, admin.user.id, '1.4', day(2, 2));
    expect((await evaluateCapAlerts(h.client.db, day(2, 3))).fired).toBe(0);
    // + $0.10 = $3.00 = 75 % exactly: the 75 % alert, once however often the sweep runs.
    await spend(team, admin.user.id, '0.1', day(2, 3));
    expect((await evaluateCapAlerts(h.client.db, day(2, 4))).fired).toBe(1);
    expect((await evaluateCapAlerts(h.client.db, day(2, 5))).fired).toBe(0);
    // + $0.79 = $3.79 = 94.75 %: still one. + $0.01 = $3.80 = 95 %: the second.
    await spend(team, admin.user.id, '0.79', day(2, 5));
    expect((await evaluateCapAlerts(h.client.db, day(2, 6))).fired).toBe(0);
    await spend(team, admin.user.id, '0.01', day(2, 6));
    expect((await evaluateCapAlerts(h.client.db, day(2, 7))).fired).toBe(1);
    await spend(team, admin.user.id, '2', day(2, 8));
    expect((await evaluateCapAlerts(h.client.db, day(2, 9))).fired).toBe(0);
    const rows = await capAlerts();
    expect(
      rows.map((a) => [a.thresholdPct, a.state, a.periodStart?.toISOString(), a.teamId]),
    ).toEqual([
      [75, 'open', day(2, 0).toISOString(), team],
      [95, 'open', day(2, 0).toISOString(), team],
    ]);
    expect(rows.map((a) => Number(a.value))).toEqual([75, 95]);
    expect(rows[0]!.message).toBe(
      "The team's daily cap of $4.00 is 75.0% used ($3.00 spent; alert at 75%); it resets at 2026-11-03T00:00:00Z",
    );
    expect(rows[1]!.message).toBe(
      "The team's daily cap of $4.00 is 95.0% used ($3.80 spent; alert at 95%); it resets at 2026-11-03T00:00:00Z",
    );

    // Nov 3: a new period — the old alerts resolve; $3.10 crosses 75 % again: a new alert.
    const nextDay = await evaluateCapAlerts(h.client.db, day(3, 1));
    expect(nextDay).toMatchObject({ fired: 0, resolved: 2 });
    await spend(team, admin.user.id, '3.1', day(3, 2));
    expect((await evaluateCapAlerts(h.client.db, day(3, 3))).fired).toBe(1);
    const all = await capAlerts();
    expect(all.map((a) => [a.thresholdPct, a.state, a.periodStart?.toISOString()])).toEqual([
      [75, 'resolved', day(2, 0).toISOString()],
      [75, 'open', day(3, 0).toISOString()],
      [95, 'resolved', day(2, 0).toISOString()],
    ]);
    // The team's Live page lists them with the rules' alerts.
    const live = await asAdmin.live.overview({ teamId: team });
    expect(live.openAlerts).toBe(1);
  });
});
