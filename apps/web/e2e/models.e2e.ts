/**
 * Issue 14's truthful console on a real Baton (`baton start`: embedded PostgreSQL, the
 * simulator, a worker, the built console) driven by Debian's Chromium: the simulator notice is
 * on every page (sign-in included), and the task form's model field offers the provider's
 * current models only — no retired model such as claude-sonnet-4-5 — with their prices, starts
 * on Baton's default model, and warns about a retired or deprecated model typed by hand.
 * Screenshots land in apps/web/test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldErrorText, type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

let baton: RunningBaton;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const stamp = Date.now().toString(36);
const state: { teamId?: string } = {};

/** Waits until React has hydrated the element, so typing and clicks reach its handlers. */
async function hydrated(selector = 'form') {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith('__reactProps'));
  }, selector);
}

const notice = () => page.getByTestId('simulator-notice');

async function expectNotice() {
  await notice().waitFor();
  expect(await notice().textContent()).toMatch(/Baton's simulator, not Anthropic's API/);
}

/** The model datalist's options as the browser has them: value and label. */
function offeredModels(): Promise<{ value: string; label: string }[]> {
  return page
    .getByTestId('model-options')
    .locator('option')
    .evaluateAll((els) =>
      els.map((el) => ({
        value: (el as HTMLOptionElement).value,
        label: (el as HTMLOptionElement).label,
      })),
    );
}

beforeAll(async () => {
  baton = await startBaton();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('a truthful console on the simulator', () => {
  it('says the provider is the simulator on the sign-in and sign-up pages', async () => {
    await page.goto(`${baton.webUrl}/sign-in`);
    await expectNotice();
    await page.screenshot({ path: path.join(out, 'simulator-sign-in.png'), fullPage: true });
    await page.goto(`${baton.webUrl}/sign-up`);
    await expectNotice();
  });

  it('says so on every page of the console', async () => {
    await hydrated();
    await page.getByLabel('Name').fill('Model Tester');
    await page.getByLabel('Email').fill(`models-${stamp}@example.test`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${baton.webUrl}/teams/new`);
    await expectNotice();
    await page.getByLabel('Team name').fill(`Models ${stamp}`);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL(/\/teams\/[0-9a-f-]{36}\/tasks$/);
    state.teamId = page.url().match(/\/teams\/([0-9a-f-]{36})\/tasks/)![1]!;
    for (const p of [
      `/teams/${state.teamId}/tasks`,
      `/teams/${state.teamId}/live`,
      `/teams/${state.teamId}/analytics`,
      `/teams/${state.teamId}/settings`,
      '/settings/prices',
      '/',
    ]) {
      await page.goto(`${baton.webUrl}${p}`);
      await expectNotice();
    }
  });

  it("offers the provider's current models with their prices, starting on the default", async () => {
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/new`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await hydrated();
    const field = page.getByLabel('Model', { exact: true });
    await expect.poll(() => offeredModels().then((o) => o.length)).toBeGreaterThan(5);
    const offered = await offeredModels();
    const ids = offered.map((o) => o.value);
    // The simulator lists them (it is the server); they are retired, so not offered.
    for (const retired of [
      'claude-sonnet-4-5-20250929',
      'claude-opus-4-1-20250805',
      'claude-sonnet-4-20250514',
      'claude-opus-4-20250514',
    ])
      expect(ids).not.toContain(retired);
    expect(ids.some((id) => id.startsWith('claude-sonnet-4-5'))).toBe(false);
    expect(ids).toContain('claude-opus-5-5');
    expect(offered.find((o) => o.value === 'claude-sonnet-5')?.label).toBe(
      'Claude Sonnet 5 · $2 in / $10 out per MTok',
    );
    expect(offered.find((o) => o.value === 'claude-opus-5-5')?.label).toBe(
      'Claude Opus 5.5 · $5 in / $25 out per MTok',
    );
    // Baton's one default model, with its price beside the field.
    expect(await field.inputValue()).toBe('claude-sonnet-5');
    await expect
      .poll(() => fieldErrorText(field))
      .toBe('Claude Sonnet 5: $2 in / $10 out per MTok (cache reads $0.2).');
    await field.fill('claude-opus-5-5');
    await expect
      .poll(() => fieldErrorText(field))
      .toBe('Claude Opus 5.5: $5 in / $25 out per MTok (cache reads $0.5).');
    await page.screenshot({ path: path.join(out, 'model-picker.png'), fullPage: true });
  });

  it('warns about a deprecated or retired model typed by hand', async () => {
    const field = page.getByLabel('Model', { exact: true });
    await field.fill('claude-sonnet-4-5');
    const warning = page.getByTestId('model-warning');
    await warning.waitFor();
    expect(await warning.textContent()).toBe(
      'claude-sonnet-4-5 was retired on 2026-11-30: requests to it fail. Use claude-sonnet-4-6 instead.',
    );
    await page.screenshot({ path: path.join(out, 'model-picker-warning.png'), fullPage: true });
    await field.fill('claude-opus-4-20250514');
    await expect
      .poll(() => warning.textContent())
      .toBe(
        'claude-opus-4-20250514 was retired on 2026-06-15: requests to it fail. Use claude-opus-4-8 instead.',
      );
    // A current model clears the warning.
    await field.fill('claude-sonnet-5');
    await expect.poll(() => warning.count()).toBe(0);
  });

  it('submits the chosen model', async () => {
    // A new team may not use the instance's key: its owner saves one (checked by the simulator).
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
    await hydrated();
    await page
      .getByLabel('Anthropic API key')
      .fill(`sk-ant-api03-e2e-${stamp}-abcdefghijklmnopqrstuvwxyz-WXYZ`);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByText(/Saved — fingerprint/).waitFor();
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/new`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await hydrated();
    await page.getByLabel('Model', { exact: true }).fill('claude-opus-5-5');
    await page.getByLabel('Prompt', { exact: true }).fill('Say hello.');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await expectNotice();
    await expect.poll(() => page.locator('main').textContent()).toContain('claude-opus-5-5');
    expect(pageErrors).toEqual([]);
  });
});
