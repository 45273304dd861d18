// Drives the running console with Debian's Chromium: redirect when signed out,
// a wrong password, sign-in, then every page in light and dark, desktop and phone.
// Usage: BATON_URL=http://127.0.0.1:3000 BATON_EMAIL=… BATON_PASSWORD=… node scripts/smoke.mjs [outDir]
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.BATON_URL ?? 'http://127.0.0.1:3000';
const email = process.env.BATON_EMAIL ?? 'demo@baton.local';
const password = process.env.BATON_PASSWORD;
if (!password) throw new Error('Set BATON_PASSWORD.');
const out = path.resolve(process.argv[2] ?? 'artifacts/screens');
mkdirSync(out, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`smoke: ${message}`);
  console.log(`ok - ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  await page.goto(`${base}/settings/prices`);
  check(new URL(page.url()).pathname === '/sign-in', 'signed-out visit redirects to /sign-in');
  await page.screenshot({ path: `${out}/sign-in.png` });

  await page.getByRole('button', { name: 'Sign in' }).click();
  check(
    await page.getByText('Enter your email address.').isVisible(),
    'empty form shows field errors',
  );
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('definitely-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor();
  check(true, 'wrong password is refused with a message');
  errors.length = 0; // the refused sign-in logs its 401 in the console
  await page.screenshot({ path: `${out}/sign-in-error.png` });

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/settings/prices`);
  check(true, 'sign-in returns to the page asked for');

  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByText('Operational').waitFor();
  check(
    await page.getByText(/of \d+ applied/).isVisible(),
    'overview shows migrations from the database',
  );
  await page.screenshot({ path: `${out}/overview-light.png`, fullPage: true });

  await page.waitForLoadState('networkidle'); // hydrated: the buttons have their handlers
  await page.getByRole('button', { name: 'Toggle dark mode' }).first().click();
  await page.reload();
  check(
    await page.evaluate(() => document.documentElement.classList.contains('dark')),
    'dark theme is remembered',
  );
  await page.screenshot({ path: `${out}/overview-dark.png`, fullPage: true });

  const team = page.getByRole('navigation', { name: 'Main' }).getByRole('link').nth(1);
  await team.click();
  await page.getByRole('navigation', { name: 'Filter by status' }).waitFor();
  await page.getByRole('table').waitFor();
  await page.screenshot({ path: `${out}/tasks-dark.png`, fullPage: true });
  await page.getByRole('link', { name: /^Running/ }).click();
  await page.waitForURL(/status=running/);
  await page.getByRole('table').waitFor();
  const statuses = await page.locator('tbody tr td:nth-child(2)').allInnerTexts();
  check(
    statuses.length > 0 && statuses.every((s) => s.includes('Running')),
    'status filter shows only running tasks',
  );

  await page.getByRole('button', { name: 'Toggle dark mode' }).first().click();
  await page.goto(`${base}/settings/prices`);
  await page.getByRole('table').waitFor();
  await page.screenshot({ path: `${out}/prices-light.png`, fullPage: true });

  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    storageState: await context.storageState(),
  });
  const p2 = await phone.newPage();
  await p2.goto(`${base}/`);
  await p2.getByRole('heading', { name: 'Overview' }).waitFor();
  await p2.getByText('Operational').waitFor();
  await p2.waitForLoadState('networkidle');
  await p2.screenshot({ path: `${out}/overview-phone.png`, fullPage: true });
  await p2.getByRole('button', { name: 'Open navigation' }).click();
  await p2.getByRole('dialog', { name: 'Navigation' }).waitFor();
  await p2.screenshot({ path: `${out}/nav-phone.png` });
  await p2.keyboard.press('Escape');
  check((await p2.getByRole('dialog').count()) === 0, 'Escape closes the phone navigation');

  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.waitForURL(`${base}/sign-in`);
  await page.goto(`${base}/`);
  check(
    new URL(page.url()).pathname === '/sign-in',
    'after sign-out the console redirects to /sign-in',
  );

  check(errors.length === 0, `no page errors${errors.length ? `: ${errors.join(' | ')}` : ''}`);
} finally {
  await browser.close();
}
