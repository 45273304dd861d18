/**
 * The acceptance run of issue 7 on a real Baton (embedded PostgreSQL, the
 * simulator, a worker, the built console) driven by Debian's Chromium:
 * sign up, create a team, submit a task and watch it stream and succeed, see
 * its cost in analytics, cancel a slow second task, then sign up as someone
 * of another team and find none of it; invite a teammate by link (signed
 * out → sign-up, which uses it up → back, a member) and change their role. Screenshots of every
 * page (light, dark, phone) land in apps/web/test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

let baton: RunningBaton;
let browser: Browser;
let ctxA: BrowserContext;
let a: Page;
const pageErrors: string[] = [];
const stamp = Date.now().toString(36);
const state: { teamId?: string; taskId?: string; slowTaskId?: string } = {};
const TEAM_KEY = `sk-ant-api03-e2e-${stamp}-abcdefghijklmnopqrstuvwxyz-WXYZ`;

async function setTheme(page: Page, theme: 'light' | 'dark') {
  await page.evaluate((t) => {
    localStorage.setItem('baton-theme', t);
    document.documentElement.classList.toggle('dark', t === 'dark');
  }, theme);
}

/** Light and dark screenshots of the page as it is now; `phone` adds a 390 px wide one. */
async function shoot(page: Page, name: string, { phone = false } = {}) {
  await setTheme(page, 'light');
  await page.screenshot({ path: path.join(out, `${name}-light.png`), fullPage: true });
  await setTheme(page, 'dark');
  await page.screenshot({ path: path.join(out, `${name}-dark.png`), fullPage: true });
  await setTheme(page, 'light');
  if (phone) {
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(out, `${name}-phone.png`), fullPage: true });
    if (size) await page.setViewportSize(size);
  }
}

/** Waits until React has hydrated the element (its event handlers are attached), so a click is not a native form post. */
async function hydrated(page: Page, selector = 'form') {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith('__reactProps'));
  }, selector);
}

async function signUp(page: Page, name: string, email: string) {
  await page.goto(`${baton.webUrl}/sign-up`);
  await hydrated(page);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${baton.webUrl}/teams/new`);
}

async function createTeam(page: Page, name: string): Promise<string> {
  await page.getByLabel('Team name').fill(name);
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.waitForURL(/\/teams\/[0-9a-f-]{36}\/tasks$/);
  return page.url().match(/\/teams\/([0-9a-f-]{36})\/tasks/)![1]!;
}

async function submitTask(page: Page, teamId: string, title: string, prompt: string) {
  await page.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
  await page.getByRole('heading', { name: 'New task' }).waitFor();
  await hydrated(page);
  await page.getByLabel('Title (optional)').fill(title);
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  await page.getByRole('button', { name: 'Submit task' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  return page.url().match(/\/tasks\/([0-9a-f-]{36})$/)![1]!;
}

async function simConfig(body: unknown) {
  const res = await fetch(`${baton.simUrl}/_sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  baton = await startBaton();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  ctxA = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // Generous: CI machines are shared (other builds and benchmarks run beside this).
  ctxA.setDefaultTimeout(90_000);
  a = await ctxA.newPage();
  a.on('pageerror', (e) => pageErrors.push(`${a.url()}: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('the console on a running Baton', () => {
  it('signs up a new user and creates a team', async () => {
    await a.goto(`${baton.webUrl}/`);
    await a.waitForURL(/\/sign-in/);
    await shoot(a, 'sign-in', { phone: true });
    await a.goto(`${baton.webUrl}/sign-up`);
    await hydrated(a);
    await a.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => a.getByText('Enter your name.').isVisible()).toBe(true);
    await shoot(a, 'sign-up-errors');
    await signUp(a, 'Ada Lovelace', `ada-${stamp}@example.test`);
    await a.getByLabel('Team name').waitFor();
    await shoot(a, 'team-new');
    state.teamId = await createTeam(a, `Engines ${stamp}`);
    await a.getByRole('heading', { name: `Engines ${stamp} tasks` }).waitFor();
    await a.getByText('No tasks').first().waitFor();
    await shoot(a, 'tasks-empty', { phone: true });
    // A new team has no key of its own and may not use the instance's (an operator's choice):
    // its owner saves one (the simulator checks it, as the provider would).
    await a.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
    await hydrated(a);
    await a.getByLabel('Anthropic API key').fill(TEAM_KEY);
    await a.getByRole('button', { name: 'Save key' }).click();
    await a.getByText(/Saved — fingerprint sk-ant-…WXYZ · [0-9a-f]{6}/).waitFor();
  });

  it('submits a task and watches it stream and succeed', async () => {
    const teamId = state.teamId!;
    await a.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
    await a.getByRole('heading', { name: 'New task' }).waitFor();
    await hydrated(a);
    await a.getByRole('button', { name: 'Submit task' }).click();
    await a
      .getByText(/prompt/i)
      .first()
      .waitFor();
    await shoot(a, 'task-new-errors', { phone: true });

    state.taskId = await submitTask(a, teamId, 'First light', 'Write a haiku about batons.');
    await a.getByRole('heading', { name: /First light/ }).waitFor();
    // The live transcript: the header says Live/Streaming while it runs, then Finished.
    await a.getByText('Finished.').waitFor({ timeout: 120_000 });
    const header = a.getByRole('heading', { level: 1 });
    await expect.poll(() => header.innerText()).toMatch(/succeeded/i);
    // Text arrived in the transcript and the usage panel has a cost.
    const cost = a.getByText('Cost', { exact: true }).locator('..');
    await expect
      .poll(async () => (await cost.innerText()).replace(/\s+/g, ' '))
      .toMatch(/\$0\.\d*[1-9]/);
    await shoot(a, 'task-succeeded', { phone: true });
  });

  it('shows the task cost in analytics', async () => {
    const teamId = state.teamId!;
    await a.goto(`${baton.webUrl}/teams/${teamId}/analytics`);
    await a.getByRole('heading', { level: 1, name: `Engines ${stamp} analytics` }).waitFor();
    await expect
      .poll(
        async () => (await a.locator('main').innerText()).match(/\$0\.\d*[1-9]\d*/g)?.length ?? 0,
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(() => a.getByText('First light').first().isVisible(), { timeout: 90_000 })
      .toBe(true);
    await shoot(a, 'analytics', { phone: true });
  });

  it('cancels a slow second task', async () => {
    const teamId = state.teamId!;
    await simConfig({
      response: { tokensPerSecond: 5, outputTokens: { type: 'uniform', min: 400, max: 500 } },
    });
    state.slowTaskId = await submitTask(a, teamId, 'Slow boat', 'Tell me a very long story.');
    const header = a.getByRole('heading', { level: 1 });
    await expect.poll(() => header.innerText(), { timeout: 120_000 }).toMatch(/running/i);
    await a.getByText('Streaming').waitFor();
    await shoot(a, 'task-running');
    await a.getByRole('button', { name: 'Cancel task' }).click();
    await expect.poll(() => header.innerText(), { timeout: 120_000 }).toMatch(/cancel/i);
    await a.getByRole('button', { name: 'Retry' }).waitFor();
    await shoot(a, 'task-cancelled');
    await simConfig({ response: { tokensPerSecond: 0 } }).catch(() => undefined);

    await a.goto(`${baton.webUrl}/teams/${teamId}/tasks`);
    await a.getByRole('table').waitFor();
    const rows = a.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await expect
      .poll(() => rows.allInnerTexts())
      .toEqual([
        expect.stringMatching(/Slow boat[\s\S]*cancel/i),
        expect.stringMatching(/First light[\s\S]*succeeded/i),
      ]);
    await shoot(a, 'tasks', { phone: true });
    await a.goto(`${baton.webUrl}/`);
    await a.getByRole('heading', { name: 'Overview' }).waitFor();
    await a.getByText('Slow boat').first().waitFor();
    await shoot(a, 'overview', { phone: true });
    await a.goto(`${baton.webUrl}/teams/${teamId}/live`);
    await a.getByRole('heading', { name: `Engines ${stamp} live` }).waitFor();
    // The worker that ran the tasks is connected, and the shared limiter has a bucket.
    await a
      .getByText(/remaining$/)
      .first()
      .waitFor();
    expect(
      await a.locator('table').filter({ hasText: 'Connections' }).locator('tbody tr').count(),
    ).toBeGreaterThan(0);
    // The worker's heartbeat: the model that answered has a closed circuit breaker.
    await expect
      .poll(() =>
        a.locator('table').filter({ hasText: 'Provider / model' }).locator('tbody tr').count(),
      )
      .toBeGreaterThan(0);
    await a.getByText('closed', { exact: true }).first().waitFor();
    await shoot(a, 'live', { phone: true });
    await a.goto(`${baton.webUrl}/settings/prices`);
    await a.getByRole('table').first().waitFor();
    // Ada owns a team but does not operate the instance (the demo user does): no price form.
    await a.getByText(/only an operator of this instance can change it/).waitFor();
    expect(await a.getByRole('button', { name: 'Add price' }).count()).toBe(0);
    await shoot(a, 'prices');
  });

  it('saves a credential as a fingerprint and an alert rule that fires on Live', async () => {
    const teamId = state.teamId!;
    await a.goto(`${baton.webUrl}/teams/${teamId}/settings`);
    await a.getByRole('heading', { name: `Engines ${stamp} settings` }).waitFor();
    await hydrated(a);
    await a.getByRole('button', { name: 'Save key' }).click();
    await a.getByText(/too short/).waitFor();
    const key = TEAM_KEY;
    await a.getByLabel('Anthropic API key').fill(key);
    await a.getByRole('button', { name: 'Save key' }).click();
    await a.getByText(/Saved — fingerprint sk-ant-…WXYZ · [0-9a-f]{6}/).waitFor();
    expect(await a.content()).not.toContain(key);
    await a.getByLabel('Rule name').fill('Any spend');
    await a.getByLabel('Metric').selectOption('cost_per_day_usd');
    await a.getByLabel('Threshold').fill('0');
    await a.getByRole('button', { name: 'Add rule' }).click();
    await a.getByText(/Cost today so far \(UTC day, USD\) over 0/).waitFor();
    await a.getByLabel('Max concurrent tasks').fill('3');
    await a.getByRole('button', { name: 'Save limits' }).click();
    await a.getByText('Saved.', { exact: true }).waitFor();
    await shoot(a, 'settings', { phone: true });

    await a.goto(`${baton.webUrl}/teams/${teamId}/live`);
    await a.getByRole('alert').filter({ hasText: 'Any spend' }).waitFor();
    // …and as a badge beside Live in the navigation.
    await a.locator('nav[aria-label="Main"] [title="1 open alert"]').waitFor();
    await shoot(a, 'live-alert');
    // After a reload the key is still only a fingerprint.
    await a.goto(`${baton.webUrl}/teams/${teamId}/settings`);
    await a.getByText(/sk-ant-…WXYZ · [0-9a-f]{6}/).waitFor();
    expect(await a.locator('body').innerText()).not.toContain(key);
    expect(await a.getByLabel('Max concurrent tasks').inputValue()).toBe('3');
  });

  it('someone of another team finds none of it', async () => {
    const ctxB = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    ctxB.setDefaultTimeout(90_000);
    const b = await ctxB.newPage();
    try {
      await signUp(b, 'Grace Hopper', `grace-${stamp}@example.test`);
      const otherTeam = await createTeam(b, `Compilers ${stamp}`);
      expect(otherTeam).not.toBe(state.teamId);

      await b.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/${state.taskId}`);
      await b
        .getByText(/not found/i)
        .first()
        .waitFor();
      expect(await b.locator('body').innerText()).not.toContain('First light');
      await shoot(b, 'other-team-task-not-found');

      await b.goto(`${baton.webUrl}/teams/${state.teamId}/tasks`);
      await b
        .getByText(/not found/i)
        .first()
        .waitFor();
      expect(await b.locator('body').innerText()).not.toContain('Engines');

      await b.goto(`${baton.webUrl}/teams/${state.teamId}/analytics`);
      await b
        .getByText(/not found/i)
        .first()
        .waitFor();
      expect(await b.locator('body').innerText()).not.toMatch(/First light|Engines/);

      await b.goto(`${baton.webUrl}/teams/${otherTeam}/tasks`);
      await b.getByText('No tasks').first().waitFor();
      await b.goto(`${baton.webUrl}/`);
      await b.getByRole('heading', { name: 'Overview' }).waitFor();
      await b.getByText(`Compilers ${stamp}`).first().waitFor();
      const body = await b.locator('body').innerText();
      expect(body).toContain(`Compilers ${stamp}`);
      expect(body).not.toMatch(/First light|Slow boat|Engines/);
      await shoot(b, 'other-team-overview');

      // The API itself refuses too, not just the pages.
      const res = await b.request.get(
        `${baton.webUrl}/api/trpc/task.byId?input=${encodeURIComponent(
          JSON.stringify({ json: { teamId: state.teamId, taskId: state.taskId } }),
        )}`,
      );
      expect(res.status()).toBe(404);
    } finally {
      await ctxB.close();
    }
  });

  it('invites a teammate by link: signed out, they sign up with it (which uses it up and joins them), come back; the owner changes their role', async () => {
    const teamId = state.teamId!;
    const team = `Engines ${stamp}`;
    await a.goto(`${baton.webUrl}/teams/${teamId}/members`);
    await a.getByRole('heading', { name: `${team} members` }).waitFor();
    await hydrated(a);
    await a.getByText('Ada Lovelace').first().waitFor();
    await shoot(a, 'members', { phone: true });
    await a.getByLabel('Role', { exact: true }).selectOption('member');
    await a.getByRole('button', { name: 'Create invitation link' }).click();
    const linkInput = a.getByLabel('Invitation link');
    await linkInput.waitFor();
    const link = await linkInput.inputValue();
    expect(link).toMatch(new RegExp(`^${baton.webUrl}/invite/[A-Za-z0-9_-]{43}$`));
    await a.getByText('shown only once').waitFor();
    await shoot(a, 'members-invite');

    const ctxC = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    ctxC.setDefaultTimeout(90_000);
    const c = await ctxC.newPage();
    c.on('pageerror', (e) => pageErrors.push(`${c.url()}: ${e.message}`));
    try {
      // Signed out: the link leads to sign-in, from there to sign-up, and back to the invitation.
      await c.goto(link);
      await c.waitForURL(/\/sign-in\?next=%2Finvite%2F/);
      await c.getByRole('link', { name: 'Create an account' }).click();
      await c.waitForURL(/\/sign-up\?next=%2Finvite%2F/);
      await hydrated(c);
      await c.getByLabel('Name').fill('Charles Babbage');
      await c.getByLabel('Email').fill(`charles-${stamp}@example.test`);
      await c.getByLabel('Password').fill('correct horse battery');
      await c.getByRole('button', { name: 'Create account' }).click();
      // The sign-up used the invitation up: they are a member with its role already.
      await c.waitForURL(link);
      await c.getByRole('heading', { name: `Join ${team}` }).waitFor();
      await c.getByText(/already a member \(member\)/).waitFor();
      await shoot(c, 'invite', { phone: true });
      await c.getByRole('link', { name: `Open ${team}` }).click();
      await c.waitForURL(`${baton.webUrl}/teams/${teamId}/tasks`);
      await c.getByText('First light').first().waitFor();
    } finally {
      await ctxC.close();
    }

    // The owner sees the new member and the used invitation, and makes them a viewer.
    await a.goto(`${baton.webUrl}/teams/${teamId}/members`);
    await hydrated(a);
    await a.getByText('Charles Babbage').first().waitFor();
    await a.getByRole('list', { name: 'Invitations' }).getByText('accepted').waitFor();
    const role = a.getByLabel('Role of Charles Babbage');
    expect(await role.inputValue()).toBe('member');
    await role.selectOption('viewer');
    await expect.poll(() => role.inputValue()).toBe('viewer');
    await a.reload();
    await expect.poll(() => a.getByLabel('Role of Charles Babbage').inputValue()).toBe('viewer');
    // Ada is the only owner: her own role cannot be changed away from owner.
    await a.getByLabel('Role of Ada Lovelace').selectOption('admin');
    await a.getByText(/at least one owner/).waitFor();
    await shoot(a, 'members-after');
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
