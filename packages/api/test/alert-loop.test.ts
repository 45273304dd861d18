/**
 * Background alert evaluation on real data: usage rows in PostgreSQL, rules of
 * two teams, the loop evaluating them with no page open, deduplicated.
 */
import { alertRules, alerts, usageEvents } from '@baton/db/schema';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlertRules, startAlertLoop } from '../src/live/alerts';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let other: AuthSession;
let teamA: string;
let teamB: string;

async function openAlerts(ruleId: string) {
  return h.client.db
    .select()
    .from(alerts)
    .where(and(eq(alerts.ruleId, ruleId), eq(alerts.state, 'open')));
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  h = await setupHarness();
  owner = await makeUser(h, 'Owner');
  other = await makeUser(h, 'Other');
  teamA = await makeTeam(h, 'loop-a', [[owner, 'owner']]);
  teamB = await makeTeam(h, 'loop-b', [[other, 'owner']]);
});

afterAll(async () => {
  await h?.close();
});

describe('background alert evaluation', () => {
  it('fires alerts for every team without anyone opening a page, once per rule', async () => {
    const now = Date.now();
    // Team A: $0.50 in the last seconds (today so far, UTC) and 2 errors of 4 requests (50%).
    await h.client.db.insert(usageEvents).values(
      [0, 1, 2, 3].map((i) => ({
        providerRequestId: `req_loop_a_${i}`,
        teamId: teamA,
        model: 'claude-sonnet-4-5',
        costUsd: '0.125',
        inputTokens: 1000,
        outputTokens: 500,
        status: i < 2 ? ('error' as const) : ('ok' as const),
        createdAt: new Date(now - (i + 1) * 1000),
      })),
    );
    // Team B: nothing spent.
    const [spend, errors, block] = await h.client.db
      .insert(alertRules)
      .values([
        {
          teamId: teamA,
          name: 'Daily spend',
          metric: 'cost_per_day_usd' as const,
          threshold: '0.4',
          windowMinutes: 60,
        },
        {
          teamId: teamA,
          name: 'Errors',
          metric: 'error_rate' as const,
          threshold: '20',
          windowMinutes: 30,
        },
        {
          teamId: teamA,
          name: 'Block',
          metric: 'projected_block_tokens' as const,
          threshold: '1000000000',
          windowMinutes: 60,
        },
      ])
      .returning();
    const [quiet] = await h.client.db
      .insert(alertRules)
      .values({
        teamId: teamB,
        name: 'B spend',
        metric: 'cost_per_day_usd',
        threshold: '1',
        windowMinutes: 60,
      })
      .returning();

    const sweeps: number[] = [];
    const loops = [
      startAlertLoop(h.client.db, { intervalMs: 100, onSweep: (s) => sweeps.push(s.rules) }),
      startAlertLoop(h.client.db, { intervalMs: 100, onSweep: (s) => sweeps.push(s.rules) }),
    ];
    try {
      const fired = await until(
        async () => [...(await openAlerts(spend!.id)), ...(await openAlerts(errors!.id))],
        (rows) => rows.length >= 2,
      );
      expect(fired.map((a) => Number(a.value)).sort((x, y) => x - y)).toEqual([0.5, 50]);
      // Let both loops sweep several more times: still one open alert per rule.
      const before = sweeps.length;
      await until(
        async () => sweeps.length,
        (n) => n >= before + 4,
      );
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
    expect(sweeps.every((n) => n === 4)).toBe(true);
    expect(await openAlerts(spend!.id)).toHaveLength(1);
    expect(await openAlerts(errors!.id)).toHaveLength(1);
    expect(await openAlerts(block!.id)).toHaveLength(0);
    expect(await openAlerts(quiet!.id)).toHaveLength(0);
    const all = await h.client.db.select().from(alerts);
    expect(all).toHaveLength(2);

    // The database itself refuses a second open alert for a rule.
    await expect(
      h.client.db
        .insert(alerts)
        .values({ ruleId: spend!.id, teamId: teamA, value: '1', message: 'dup' }),
    ).rejects.toThrow();

    // The console shows them: the team list's badge and the Live page.
    const teams = await (await callerFor(h, owner)).team.list();
    expect(teams.find((t) => t.id === teamA)?.openAlerts).toBe(2);
    const live = await (await callerFor(h, owner)).live.overview({ teamId: teamA });
    expect(live.openAlerts).toBe(2);
    expect(live.alerts.map((a) => a.ruleName).sort()).toEqual(['Daily spend', 'Errors']);
    const theirs = await (await callerFor(h, other)).team.list();
    expect(theirs.find((t) => t.id === teamB)?.openAlerts).toBe(0);
    await h.client.db.delete(alertRules).where(eq(alertRules.teamId, teamA));
    await h.client.db.delete(alertRules).where(eq(alertRules.teamId, teamB));
  });

  it('a rule that clears and fires again within its window reopens its alert; after the window, a new one', async () => {
    const t0 = new Date('2026-11-01T12:00:00Z');
    const [rule] = await h.client.db
      .insert(alertRules)
      .values({
        teamId: teamB,
        name: 'Flappy',
        metric: 'error_rate',
        threshold: '20',
        windowMinutes: 60,
      })
      .returning();
    const failed = (id: string, createdAt: Date) => ({
      providerRequestId: id,
      teamId: teamB,
      model: 'claude-sonnet-4-5',
      costUsd: '0',
      status: 'error' as const,
      createdAt,
    });
    const at = (min: number) => new Date(t0.getTime() + min * 60_000);
    // An error at 11:59: 100% of the hour before 12:00.
    await h.client.db.insert(usageEvents).values(failed('req_flap_1', at(-1)));
    expect(await evaluateAlertRules(h.client.db, teamB, at(0))).toEqual([
      { ruleId: rule!.id, value: 100, firing: true },
    ]);
    // 13:00: the error left the window (no responses in it: 0%) → resolved.
    expect((await evaluateAlertRules(h.client.db, teamB, at(60)))[0]?.firing).toBe(false);
    // 13:10: another error at 13:09 → fires again, 70 min after the first alert: a new alert…
    await h.client.db.insert(usageEvents).values(failed('req_flap_2', at(69)));
    expect((await evaluateAlertRules(h.client.db, teamB, at(70)))[0]?.firing).toBe(true);
    // 14:10 clears, 14:08 fires again with an error at 14:07 — within 60 min of the 13:10 alert → reopened.
    await evaluateAlertRules(h.client.db, teamB, at(130));
    await h.client.db.insert(usageEvents).values(failed('req_flap_3', at(127)));
    const rows = await h.client.db.select().from(alerts).where(eq(alerts.ruleId, rule!.id));
    expect(rows.map((r) => r.state).sort()).toEqual(['resolved', 'resolved']);
    await evaluateAlertRules(h.client.db, teamB, at(128));
    const after = await h.client.db.select().from(alerts).where(eq(alerts.ruleId, rule!.id));
    expect(after).toHaveLength(2);
    expect(after.filter((r) => r.state === 'open')).toHaveLength(1);
    expect(after.find((r) => r.state === 'open')?.triggeredAt.toISOString()).toBe(
      at(70).toISOString(),
    );
    await h.client.db.delete(alertRules).where(eq(alertRules.id, rule!.id));
  });
});
