/**
 * Issue 14's truthful Live page, on a real Baton (`baton start`: embedded PostgreSQL, the
 * simulator, a worker and the built console), signed in as the demo account: with three slow
 * tasks running (the simulator paced to a few tokens a second), the Active sessions are exactly
 * those tasks' sessions, the fleet's active count is three, and the workers' pools (their
 * heartbeats) hold three in use; once the tasks are cancelled, no session is active and the
 * pools hold none. Screenshots land in apps/web/test-results/sessions-*.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

/** Tasks running at once (the Demo team's quota is 4). */
const N = 3;

let baton: RunningBaton;
let browser: Browser;
let a: Page;
const pageErrors: string[] = [];
const state: { teamId?: string; taskIds: string[] } = { taskIds: [] };

async function shoot(page: Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => {
      localStorage.setItem('baton-theme', t);
      document.documentElement.classList.toggle('dark', t === 'dark');
    }, theme);
    await page.screenshot({
      path: path.join(out, `sessions-${name}-${theme}.png`),
      fullPage: true,
    });
  }
}

/** Waits until React has hydrated the element, so a click is not a native form post. */
async function hydrated(page: Page, selector = 'form') {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith('__reactProps'));
  }, selector);
}

async function simConfig(body: unknown) {
  const res = await fetch(`${baton.simUrl}/_sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function submitTask(teamId: string, title: string): Promise<string> {
  await a.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
  await a.getByRole('heading', { name: 'New task' }).waitFor();
  await hydrated(a);
  await a.getByLabel('Title (optional)').fill(title);
  await a.getByLabel('Prompt', { exact: true }).fill('Tell me a very long story.');
  await a.getByRole('button', { name: 'Submit task' }).click();
  await a.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  return a.url().match(/\/tasks\/([0-9a-f-]{36})$/)![1]!;
}

/** What the Live page shows now: running tasks, active sessions, the fleet counts, the pools. */
async function livePicture() {
  return a.evaluate(() => {
    const running = [...document.querySelectorAll('[data-running-task]')].map((el) =>
      el.getAttribute('data-running-task'),
    );
    const sessions = [...document.querySelectorAll('[data-session-task]')].map((el) =>
      el.getAttribute('data-session-task'),
    );
    const fleet = document.querySelector('[data-testid="fleet-sessions"]');
    const pools = [...document.querySelectorAll('[data-pool-in-use]')].map((el) =>
      Number(el.getAttribute('data-pool-in-use')),
    );
    return {
      running: running.map(String).sort(),
      sessions: sessions.map(String).sort(),
      fleetActive: Number(fleet?.getAttribute('data-active') ?? -1),
      inPools: Number(fleet?.getAttribute('data-in-pools') ?? -1),
      poolsInUse: pools.reduce((n, p) => n + p, 0),
    };
  });
}

beforeAll(async () => {
  baton = await startBaton();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  a = await ctx.newPage();
  a.on('pageerror', (e) => pageErrors.push(`${a.url()}: ${e.message}`));
});

// A failed test leaves the page as it was (screenshot and HTML) in test-results/.
beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await a?.screenshot({ path: path.join(out, `sessions-FAILED-${name}.png`), fullPage: true });
    writeFileSync(path.join(out, `sessions-FAILED-${name}.html`), (await a?.content()) ?? '');
  });
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('the Live page tells the sessions as they are', () => {
  it('signs in as the demo account and sees no active session yet', async () => {
    const m = baton.output().match(/Sign in\s+(\S+@\S+)\s+\/\s+(\S+)/);
    expect(m, baton.output()).not.toBeNull();
    await a.goto(`${baton.webUrl}/sign-in`);
    await hydrated(a);
    await a.getByLabel('Email').fill(m![1]!);
    await a.getByLabel('Password').fill(m![2]!);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.getByRole('heading', { name: 'Overview' }).waitFor();
    const href = await a
      .locator('nav[aria-label="Main"] a', { hasText: 'Demo' })
      .first()
      .getAttribute('href');
    state.teamId = href!.match(/\/teams\/([0-9a-f-]{36})/)![1]!;
    await a.goto(`${baton.webUrl}/teams/${state.teamId}/live`);
    await a.getByRole('heading', { name: 'Demo live' }).waitFor();
    await a.getByText('No active sessions').waitFor();
    await expect.poll(livePicture).toMatchObject({ sessions: [], fleetActive: 0 });
  });

  it(`with ${N} slow tasks running, lists exactly their sessions, as the pools count them`, async () => {
    // About 5 tokens a second for 400–500 tokens: each task streams for well over a minute.
    await simConfig({
      response: { tokensPerSecond: 5, outputTokens: { type: 'uniform', min: 400, max: 500 } },
    });
    for (let i = 0; i < N; i++)
      state.taskIds.push(await submitTask(state.teamId!, `Long story ${i + 1}`));
    const ids = [...state.taskIds].sort();

    await a.goto(`${baton.webUrl}/teams/${state.teamId}/live`);
    await a.getByRole('heading', { name: 'Demo live' }).waitFor();
    // The page refreshes every 3 s and the heartbeats come every 5 s: the picture settles on
    // the N tasks running, each with its active session, and N sessions in the workers' pools.
    await expect
      .poll(livePicture, { timeout: 120_000 })
      .toEqual({ running: ids, sessions: ids, fleetActive: N, inPools: N, poolsInUse: N });
    const table = a.locator('table').filter({ hasText: 'Active since' });
    expect(await table.locator('tbody tr').count()).toBe(N);
    expect(await table.textContent()).toMatch(/Long story 1[\s\S]*attempt 1/);
    await shoot(a, 'running');
  });

  it('once the tasks are cancelled, no session is active and the pools hold none', async () => {
    for (const id of state.taskIds) {
      await a.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/${id}`);
      const header = a.getByRole('heading', { level: 1 });
      await expect.poll(() => header.innerText()).toMatch(/running/i);
      await hydrated(a, 'button');
      await a.getByRole('button', { name: 'Cancel task' }).click();
      await expect.poll(() => header.innerText(), { timeout: 120_000 }).toMatch(/cancel/i);
    }
    await simConfig({ response: { tokensPerSecond: 0 } });
    await a.goto(`${baton.webUrl}/teams/${state.teamId}/live`);
    await a.getByRole('heading', { name: 'Demo live' }).waitFor();
    await expect
      .poll(livePicture, { timeout: 60_000 })
      .toEqual({ running: [], sessions: [], fleetActive: 0, inPools: 0, poolsInUse: 0 });
    await a.getByText('No active sessions').waitFor();
    await a.getByText('Nothing running').waitFor();
    await shoot(a, 'ended');
    expect(pageErrors).toEqual([]);
  });
});
