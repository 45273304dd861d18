import { chromium } from 'playwright-core';

const [base, pw, path, shot] = process.argv.slice(2);
const b = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const p = await (
  await b.newContext({ viewport: { width: Number(process.env.W ?? 1360), height: 900 } })
).newPage();
p.on('console', (m) => m.type() === 'error' && console.log('console:', m.text().slice(0, 1200)));
p.on('pageerror', (e) => console.log('pageerror:', e.message.slice(0, 800)));
await p.goto(`${base}/sign-in`);
await p.getByLabel('Email').fill('demo@baton.local');
await p.getByLabel('Password').fill(pw);
await p.getByRole('button', { name: 'Sign in' }).click();
await p.waitForURL(`${base}/`);
const teamHref = await p
  .getByRole('navigation', { name: 'Main' })
  .getByRole('link')
  .nth(1)
  .getAttribute('href');
const teamId = teamHref.split('/')[2];
await p.goto(`${base}${path.replace('TEAM', teamId)}`);
await p.waitForTimeout(Number(process.env.WAIT ?? 4000));
if (process.env.DARK) await p.evaluate(() => document.documentElement.classList.add('dark'));
await p.screenshot({ path: shot ?? '/tmp/bdev/probe.png', fullPage: true });
console.log('teamId', teamId);
await b.close();
