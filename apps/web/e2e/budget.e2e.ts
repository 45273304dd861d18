/**
 * Issue 13 in the browser, on a real Baton (`baton start`: embedded PostgreSQL, the simulator,
 * a worker and the built console), signed in as the demo account (owner of the team "Demo" and
 * the instance's operator): set a tiny daily team cap on the Budget page, run tasks until their
 * spend crosses it, see the cap reached with the spend the tasks really made (the sum of their
 * costs), have the next task refused with the cap's sentence, raise and remove the cap; the
 * operator's team settings; a key the provider refuses is an error on the key field. Screenshots
 * land in apps/web/test-results/budget-*.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatUsd } from '../src/components/ui/format';
import { fieldErrorText, type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

/** The daily team cap the admin sets: a few tasks' worth on the simulator. */
const CAP_USD = '0.002';
/** Tasks submitted at most before the cap must have been crossed. */
const MAX_TASKS = 12;
const TERMINAL = /succeeded|failed|cancelled|timed out|over budget/i;

let baton: RunningBaton;
let browser: Browser;
let a: Page;
const pageErrors: string[] = [];
const state: { teamId?: string; costs: string[] } = { costs: [] };

async function setTheme(page: Page, theme: 'light' | 'dark') {
  await page.evaluate((t) => {
    localStorage.setItem('baton-theme', t);
    document.documentElement.classList.toggle('dark', t === 'dark');
  }, theme);
}

async function shoot(page: Page, name: string) {
  await setTheme(page, 'light');
  await page.screenshot({ path: path.join(out, `budget-${name}-light.png`), fullPage: true });
  await setTheme(page, 'dark');
  await page.screenshot({ path: path.join(out, `budget-${name}-dark.png`), fullPage: true });
  await setTheme(page, 'light');
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

/** Decimal USD strings summed exactly (10 decimals), rounded half-up to 6 like the server. */
function sumUsd(values: string[]): string {
  const SCALE = 10;
  let total = 0n;
  for (const v of values) {
    const [whole = '0', frac = ''] = v.replace(/^\$/, '').replace(/,/g, '').split('.');
    total += BigInt(whole) * 10n ** BigInt(SCALE) + BigInt(frac.padEnd(SCALE, '0').slice(0, SCALE));
  }
  const unit = 10n ** BigInt(SCALE - 6);
  const micro = (total + unit / 2n) / unit;
  const s = micro.toString().padStart(7, '0');
  return `${s.slice(0, -6)}.${s.slice(-6)}`;
}

async function openBudget(teamId: string) {
  await a.goto(`${baton.webUrl}/teams/${teamId}/budget`);
  await a.getByRole('heading', { level: 1, name: 'Demo budget' }).waitFor();
}

/** Submits a task on the form; its id, or null when the form refused it (the alert stays up). */
async function submitTask(teamId: string, title: string): Promise<string | null> {
  await a.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
  await a.getByRole('heading', { name: 'New task' }).waitFor();
  await hydrated(a);
  await a.getByLabel('Title (optional)').fill(title);
  await a.getByLabel('Prompt', { exact: true }).fill('Write a haiku about budgets.');
  // The form is ready once the default model has loaded into its field (submitted before, the
  // form asks to choose a model: the page was not yet what a user would see).
  await expect
    .poll(() => a.getByLabel('Model', { exact: true }).inputValue(), { timeout: 30_000 })
    .not.toBe('');
  await a.getByRole('button', { name: 'Submit task' }).click();
  const refused = a.locator('form [role="alert"]').first();
  await expect
    .poll(async () => /\/tasks\/[0-9a-f-]{36}$/.test(a.url()) || (await refused.isVisible()))
    .toBe(true);
  const m = a.url().match(/\/tasks\/([0-9a-f-]{36})$/);
  return m ? m[1]! : null;
}

/** Waits for the task page to show a terminal status, then reads its (settled) cost. */
async function finishedCost(): Promise<{ status: string; cost: string }> {
  const header = a.getByRole('heading', { level: 1 });
  await expect.poll(() => header.innerText(), { timeout: 120_000 }).toMatch(TERMINAL);
  const status = (await header.innerText()).match(TERMINAL)![0];
  const cost = a.getByText('Cost', { exact: true }).locator('..');
  let last = '';
  let stableFor = 0;
  // The usage panel refreshes on its own: take the figure once it stopped changing.
  await expect
    .poll(
      async () => {
        const v = (await cost.innerText()).match(/\$[\d,]+\.\d+/)?.[0] ?? '';
        stableFor = v && v === last ? stableFor + 1 : 0;
        last = v;
        return stableFor >= 6;
      },
      { timeout: 60_000, interval: 500 },
    )
    .toBe(true);
  return { status, cost: last };
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
    await a?.screenshot({ path: path.join(out, `budget-FAILED-${name}.png`), fullPage: true });
    writeFileSync(path.join(out, `budget-FAILED-${name}.html`), (await a?.content()) ?? '');
  });
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('spend caps and keys in the console', () => {
  it('signs in as the demo account and finds the Demo team without caps', async () => {
    const m = baton.output().match(/Sign in\s+(\S+@\S+)\s+\/\s+(\S+)/);
    expect(m, baton.output()).not.toBeNull();
    await a.goto(`${baton.webUrl}/sign-in`);
    await hydrated(a);
    await a.getByLabel('Email').fill(m![1]!);
    await a.getByLabel('Password').fill(m![2]!);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.getByRole('heading', { name: 'Overview' }).waitFor();
    await a.getByText('No spend caps').waitFor();
    const href = await a
      .locator('nav[aria-label="Main"] a', { hasText: 'Demo' })
      .first()
      .getAttribute('href');
    state.teamId = href!.match(/\/teams\/([0-9a-f-]{36})/)![1]!;

    await a.goto(`${baton.webUrl}/teams/${state.teamId}/tasks`);
    await a.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Budget' }).click();
    await a.waitForURL(`${baton.webUrl}/teams/${state.teamId}/budget`);
    await a.getByRole('heading', { level: 1, name: 'Demo budget' }).waitFor();
    await a.getByText('No team caps').waitFor();
    await a.getByText('No member caps').waitFor();
    await a.getByText('No instance caps').waitFor();
    await shoot(a, 'empty');
  });

  it('sets a tiny daily team cap on the Budget page (a bad amount is an error on its field)', async () => {
    await openBudget(state.teamId!);
    await hydrated(a);
    const usd = a.getByLabel('Cap (USD)');
    await usd.fill('0.00001');
    await a.getByRole('button', { name: 'Set cap' }).click();
    // The server's refusal, on the amount field.
    await expect.poll(() => fieldErrorText(usd)).toMatch(/at most 4 decimals/);
    expect(await usd.getAttribute('aria-invalid')).toBe('true');

    await a.getByLabel('Applies to').selectOption('team');
    await a.getByLabel('Period').selectOption('daily');
    await usd.fill(CAP_USD);
    await a.getByRole('button', { name: 'Set cap' }).click();
    await a.getByText('Daily team cap set to $0.002.').waitFor();
    const row = a.locator('[data-cap="team:daily"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(
      /Daily team cap[\s\S]*\$0\.00 of \$0\.002[\s\S]*Resets in/,
    );
    await expect.poll(() => row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    expect(await row.getByText('Reached', { exact: true }).count()).toBe(0);
    await shoot(a, 'cap-set');
  });

  it('runs tasks until their spend crosses the cap, then shows it reached with the real spend', async () => {
    const teamId = state.teamId!;
    let refusedAt = -1;
    for (let i = 1; i <= MAX_TASKS; i++) {
      const id = await submitTask(teamId, `Budget run ${i}`);
      if (!id) {
        refusedAt = i;
        break;
      }
      const { cost } = await finishedCost();
      state.costs.push(cost);
      if (Number(sumUsd(state.costs)) >= Number(CAP_USD)) break;
    }
    // The cap was crossed by the tasks that ran (the form refuses only once it is reached).
    expect(refusedAt, `costs ${state.costs.join(', ')}`).toBe(-1);
    expect(state.costs.length).toBeGreaterThan(0);
    const spent = sumUsd(state.costs);
    expect(Number(spent)).toBeGreaterThanOrEqual(Number(CAP_USD));

    await openBudget(teamId);
    const row = a.locator('[data-cap="team:daily"]');
    await row.getByText('Reached', { exact: true }).waitFor();
    // The spend the page shows is what the tasks cost, to the micro-dollar.
    await expect.poll(() => row.innerText()).toContain(`${formatUsd(spent)} of $0.002`);
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await row.getByText(/Reached: the team's new tasks are refused/).waitFor();
    await a.getByRole('alert').filter({ hasText: 'A cap is reached' }).waitFor();
    await shoot(a, 'reached');

    // The overview marks it too.
    await a.goto(`${baton.webUrl}/`);
    const card = a.getByRole('list', { name: 'Spend caps by team' });
    await card.getByText('Reached', { exact: true }).waitFor();
    expect(await card.innerText()).toContain(`${formatUsd(spent)} of $0.002`);
    await shoot(a, 'overview');
  });

  it('refuses the next task at submit with the cap, the spend and the reset', async () => {
    const id = await submitTask(state.teamId!, 'One too many');
    expect(id).toBeNull();
    const alert = a.locator('form [role="alert"]').first();
    const text = await alert.innerText();
    expect(text).toMatch(
      /^The team's daily cap of \$0\.002 is reached \(\$\d+\.\d{4} spent\); it resets at \d{4}-\d{2}-\d{2}T00:00:00Z/,
    );
    expect(await a.getByRole('heading', { name: 'New task' }).isVisible()).toBe(true);
    await shoot(a, 'refused');
  });

  it('raises the cap in place, then removes it', async () => {
    await openBudget(state.teamId!);
    await hydrated(a, '[data-cap="team:daily"] button');
    const row = a.locator('[data-cap="team:daily"]');
    await row.getByRole('button', { name: 'Edit Daily team cap' }).click();
    const amount = row.getByLabel('New amount for the daily team cap (USD)');
    await amount.fill('');
    await row.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => row.innerText()).toMatch(/Enter an amount|amount in USD|above \$0/);
    await amount.fill('5');
    await row.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => row.innerText()).toMatch(/of \$5\.00/);
    expect(await row.getByText('Reached', { exact: true }).count()).toBe(0);
    expect(await a.getByRole('alert').filter({ hasText: 'A cap is reached' }).count()).toBe(0);
    await row.getByRole('button', { name: 'Remove Daily team cap' }).click();
    await a.getByText('No team caps').waitFor();
  });

  it('shows the operator settings to the operator and saves them (a bad weight on its field)', async () => {
    await a.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
    await a.getByRole('heading', { name: 'Operator settings' }).waitFor();
    await hydrated(a, 'input[name="shareWeight"]');
    const weight = a.getByLabel('Share weight');
    await weight.fill('101');
    await a.getByRole('button', { name: 'Save operator settings' }).click();
    await expect.poll(() => fieldErrorText(weight)).toMatch(/at most 100\./i);
    expect(await a.getByLabel('Allow the instance key').isChecked()).toBe(true);
    await weight.fill('7');
    await a.getByLabel('Concurrency ceiling').fill('40');
    await a.getByRole('button', { name: 'Save operator settings' }).click();
    await a.getByText('Saved.', { exact: true }).last().waitFor();
    await a.reload();
    await a.getByRole('heading', { name: 'Operator settings' }).waitFor();
    expect(await a.getByLabel('Share weight').inputValue()).toBe('7');
    expect(await a.getByLabel('Concurrency ceiling').inputValue()).toBe('40');
  });

  it('a key the provider refuses is an error on the key field, and nothing is saved', async () => {
    // The simulator now accepts only the instance's key (what `baton start` gives the worker).
    await simConfig({ apiKeys: ['sk-baton-simulator'] });
    try {
      await a.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
      await a.getByRole('heading', { name: 'Provider credentials' }).waitFor();
      await hydrated(a);
      const key = a.getByLabel('Anthropic API key');
      await key.fill('sk-ant-invalid-0123456789abcdef');
      await a.getByRole('button', { name: 'Save key' }).click();
      await expect
        .poll(() => fieldErrorText(key))
        .toMatch(
          /^The provider refused this key \(401 authentication_error: invalid x-api-key\)\. It was not saved\.$/,
        );
      expect(await key.getAttribute('aria-invalid')).toBe('true');
      await a.getByText('No credentials').waitFor();
      expect(await a.locator('body').innerText()).not.toContain('sk-ant-invalid-0123456789abcdef');
      await shoot(a, 'bad-key');
    } finally {
      await simConfig({ apiKeys: [] });
    }
  });

  it('sets the team’s task defaults in Settings; a task naming none runs with them', async () => {
    const teamId = state.teamId!;
    await a.goto(`${baton.webUrl}/teams/${teamId}/settings`);
    await a.getByRole('heading', { name: 'Limits and task defaults' }).waitFor();
    await hydrated(a, 'input[name="defaultMaxTurns"]');
    const timeout = a.getByLabel('Timeout (min)');
    await timeout.fill('0.001');
    await a.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => fieldErrorText(timeout)).toBe('At least 1 second.');
    await a.getByLabel('Budget per task (USD)').fill('0.5');
    await a.getByLabel('Max turns').fill('3');
    await timeout.fill('2');
    await a.getByRole('button', { name: 'Save limits' }).click();
    await a.getByText('Saved.', { exact: true }).first().waitFor();
    await a.reload();
    await hydrated(a, 'input[name="defaultMaxTurns"]');
    expect(await a.getByLabel('Budget per task (USD)').inputValue()).toBe('0.5');
    expect(await a.getByLabel('Max turns').inputValue()).toBe('3');
    expect(await a.getByLabel('Timeout (min)').inputValue()).toBe('2');
    await shoot(a, 'task-defaults');

    // The form says what a blank field gets; the task shows what it ran with.
    await a.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
    await hydrated(a);
    await expect
      .poll(() => a.getByLabel('Budget (USD)').getAttribute('placeholder'))
      .toBe('team default: 0.5');
    expect(await a.getByLabel('Max turns').getAttribute('placeholder')).toBe('team default: 3');
    const id = await submitTask(teamId, 'With the team defaults');
    expect(id).not.toBeNull();
    const stat = (label: string) =>
      a.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('..');
    await expect.poll(() => stat('Budget').innerText()).toMatch(/Budget\s*\$0\.50/);
    expect(await stat('Timeout').innerText()).toMatch(/Timeout\s*2 min/);
    await finishedCost();

    // Cleared, a task gets none again.
    await a.goto(`${baton.webUrl}/teams/${teamId}/settings`);
    await hydrated(a, 'input[name="defaultMaxTurns"]');
    await a.getByLabel('Budget per task (USD)').fill('');
    await a.getByLabel('Max turns').fill('');
    await a.getByLabel('Timeout (min)').fill('');
    await a.getByRole('button', { name: 'Save limits' }).click();
    await a.getByText('Saved.', { exact: true }).first().waitFor();
    await a.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
    await hydrated(a);
    await expect.poll(() => a.getByLabel('Budget (USD)').getAttribute('placeholder')).toBeNull();
  });

  it("a new team's admin: no key and no instance key refuses a task; operator settings read-only; a member cap", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    ctx.setDefaultTimeout(90_000);
    const b = await ctx.newPage();
    b.on('pageerror', (e) => pageErrors.push(`${b.url()}: ${e.message}`));
    const stamp = Date.now().toString(36);
    try {
      await b.goto(`${baton.webUrl}/sign-up`);
      await hydrated(b);
      await b.getByLabel('Name').fill('Ada Lovelace');
      await b.getByLabel('Email').fill(`ada-${stamp}@example.test`);
      await b.getByLabel('Password').fill('correct horse battery');
      await b.getByRole('button', { name: 'Create account' }).click();
      await b.waitForURL(`${baton.webUrl}/teams/new`);
      await b.getByLabel('Team name').fill(`Engines ${stamp}`);
      await b.getByRole('button', { name: 'Create team' }).click();
      await b.waitForURL(/\/teams\/[0-9a-f-]{36}\/tasks$/);
      const teamId = b.url().match(/\/teams\/([0-9a-f-]{36})\/tasks/)![1]!;

      // A new team has no key of its own and may not use the instance's: refused at submit.
      await b.goto(`${baton.webUrl}/teams/${teamId}/tasks/new`);
      await b.getByRole('heading', { name: 'New task' }).waitFor();
      await hydrated(b);
      await b.getByLabel('Prompt', { exact: true }).fill('Write a haiku about keys.');
      await b.getByRole('button', { name: 'Submit task' }).click();
      await b
        .locator('form [role="alert"]')
        .filter({ hasText: /has no provider key of its own and may not use the instance's/ })
        .waitFor();
      expect(b.url()).toMatch(/\/tasks\/new$/);

      // The operator's settings: shown, read-only, with who can change them.
      await b.goto(`${baton.webUrl}/teams/${teamId}/settings`);
      await b.getByRole('heading', { name: 'Operator settings' }).waitFor();
      await b.getByText('Only an operator of this Baton instance can change these').waitFor();
      await b.getByText('None: tasks are refused until a key is added').waitFor();
      expect(await b.getByRole('button', { name: 'Save operator settings' }).count()).toBe(0);
      expect(await b.locator('input[name="shareWeight"]').count()).toBe(0);

      // The Budget page: an admin sets team and member caps, never ceilings or instance caps.
      await b.goto(`${baton.webUrl}/teams/${teamId}/budget`);
      await b.getByRole('heading', { level: 1, name: `Engines ${stamp} budget` }).waitFor();
      await hydrated(b);
      const kinds = await b.getByLabel('Applies to').locator('option').allInnerTexts();
      expect(kinds.map((k) => k.split(' ')[0])).toEqual(['Team', 'Member']);
      await b.getByLabel('Applies to').selectOption('user');
      await expect
        .poll(() => b.getByLabel('Member', { exact: true }).locator('option').allInnerTexts())
        .toEqual([`Ada Lovelace (ada-${stamp}@example.test)`]);
      await b.getByLabel('Period').selectOption('weekly');
      await b.getByLabel('Cap (USD)').fill('1.5');
      await b.getByRole('button', { name: 'Set cap' }).click();
      const row = b.locator('[data-cap="user:weekly"]');
      await row.waitFor();
      expect(await row.innerText()).toMatch(/Weekly cap for Ada Lovelace[\s\S]*\$0\.00 of \$1\.50/);
      await shoot(b, 'member-cap');
    } finally {
      await ctx.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
