/**
 * The console's hardening (issue 13) on a real Baton (`baton start`: the
 * console behind apps/web/server.mjs, embedded PostgreSQL, the simulator, a
 * worker) driven by Debian's Chromium: security headers on every page and on
 * the API, no CSP violation while using the pages, request bodies over 1 MB
 * refused before they are read, tRPC batches limited, no open redirect after
 * sign-in, the sign-in limit not reset by a spoofed X-Forwarded-For, and no
 * secret of the instance in any page's HTML, RSC or script payloads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBaton, startBaton } from './baton';

let baton: RunningBaton;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const violations: string[] = [];
const consoleErrors: string[] = [];
/** Every response body the browser received from the console (HTML, RSC, JS, JSON). */
const payloads: { url: string; body: string }[] = [];
const state: { teamId?: string; taskId?: string; demoEmail?: string; demoPassword?: string } = {};

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    let s: ReturnType<typeof statSync>;
    try {
      s = statSync(p);
    } catch {
      continue;
    }
    if (s.isDirectory() && e !== 'pg') out.push(...findFiles(p, name));
    else if (e === name) out.push(p);
  }
  return out;
}

/** The instance's secrets, as `baton start` generated them into its data dir. */
function secrets(): Record<string, string> {
  const found: Record<string, string> = {};
  const secret = readFileSync(path.join(baton.dataDir, 'secret'), 'utf8').trim();
  found.BATON_SECRET = secret;
  for (const f of findFiles(baton.dataDir, 'embedded-pg.json')) {
    const meta = JSON.parse(readFileSync(f, 'utf8')) as {
      port: number;
      user: string;
      password: string;
      appUser?: string;
      appPassword?: string;
    };
    found['database superuser password'] = meta.password;
    if (meta.appPassword) {
      found['database password'] = meta.appPassword;
      found.DATABASE_URL = `postgresql://${meta.appUser}:${meta.appPassword}@127.0.0.1:${meta.port}`;
    }
  }
  // The instance's provider key (the simulator's, as baton start hands it to the console).
  found.ANTHROPIC_API_KEY = 'sk-baton-simulator';
  if (state.demoPassword) found['demo password'] = state.demoPassword;
  return found;
}

const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

function expectPageHeaders(url: string, headers: Record<string, string>) {
  const csp = headers['content-security-policy'] ?? '';
  expect(csp, url).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(csp, url).not.toContain('unsafe-eval');
  for (const d of [
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ])
    expect(csp, url).toContain(d);
  for (const [k, v] of Object.entries(PAGE_HEADERS)) expect(headers[k], `${url} ${k}`).toBe(v);
  expect(headers['permissions-policy'], url).toContain('camera=()');
  expect(headers['x-powered-by'], url).toBeUndefined();
  // Served over http: no HSTS.
  expect(headers['strict-transport-security'], url).toBeUndefined();
}

/** Opens a console page, asserts its headers, waits for it to settle and for no CSP violation. */
async function visit(p: Page, pathname: string, ready: () => Promise<unknown>) {
  const before = violations.length;
  const res = await p.goto(`${baton.webUrl}${pathname}`);
  expect(res, pathname).not.toBeNull();
  expect(res?.status(), pathname).toBeLessThan(400);
  expectPageHeaders(pathname, await res!.allHeaders());
  await ready();
  await p.waitForLoadState('networkidle').catch(() => undefined);
  expect(violations.slice(before), pathname).toEqual([]);
}

async function hydrated(p: Page, selector = 'form') {
  await p.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith('__reactProps'));
  }, selector);
}

async function signIn(p: Page, email: string, password: string) {
  await hydrated(p);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

/** A raw HTTP request (node:http: Content-Length and chunked bodies as given). */
function raw(
  pathname: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    chunks?: { count: number; size: number };
  } = {},
): Promise<{ status?: number; text: string; ms: number; sentBytes: number; reset?: boolean }> {
  const url = new URL(baton.webUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: pathname,
        method: opts.method ?? 'POST',
        headers: opts.chunks
          ? { 'content-type': 'application/json', ...opts.headers, 'transfer-encoding': 'chunked' }
          : {
              'content-type': 'application/json',
              ...opts.headers,
              'content-length': String(opts.body?.length ?? 0),
            },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, text, ms: Date.now() - started, sentBytes }),
        );
        res.on('error', () =>
          resolve({ status: res.statusCode, text, ms: Date.now() - started, sentBytes }),
        );
      },
    );
    // The server closes the connection after a refusal while the body is still being sent:
    // a client still writing may see the reset before it reads the answer.
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e);
      else resolve({ text: '', ms: Date.now() - started, sentBytes, reset: true });
    });
    if (!opts.chunks) {
      sentBytes = opts.body?.length ?? 0;
      req.end(opts.body);
      return;
    }
    const { count, size } = opts.chunks;
    const chunk = Buffer.alloc(size, 0x20);
    let i = 0;
    const write = () => {
      while (i < count && !req.destroyed) {
        i++;
        sentBytes += size;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

beforeAll(async () => {
  baton = await startBaton();
  const m = baton.output().match(/Sign in {5}(\S+@\S+) {2}\/ {2}(\S+)/);
  if (m) [state.demoEmail, state.demoPassword] = [m[1], m[2]];
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(90_000);
  // Every CSP violation any page reports, and console errors (Chromium logs refusals there too).
  await ctx.exposeFunction('__batonCspViolation', (v: string) => violations.push(v));
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __batonCspViolation: (v: string) => void }).__batonCspViolation(
        `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} ${e.sample}`,
      );
    });
  });
  ctx.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    consoleErrors.push(`${msg.location().url}: ${msg.text()}`);
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  ctx.on('response', async (res) => {
    if (!res.url().startsWith(baton.webUrl)) return;
    try {
      const body = await res.text();
      payloads.push({ url: res.url(), body });
    } catch {
      // a redirect or a stream that ended with the page
    }
  });
  page = await ctx.newPage();
  page.on('pageerror', (e) => violations.push(`pageerror ${page.url()}: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('console hardening on a running Baton', () => {
  it('knows the demo account from baton start', () => {
    expect(state.demoEmail, baton.output()).toBeTruthy();
    expect(state.demoPassword).toBeTruthy();
  });

  it('signs in and lands on the console even with ?next=//evil.example', async () => {
    await visit(page, `/sign-in?next=${encodeURIComponent('//evil.example')}`, () =>
      page.getByRole('button', { name: 'Sign in' }).waitFor(),
    );
    await signIn(page, state.demoEmail!, state.demoPassword!);
    await page.waitForURL((u) => u.pathname === '/' && u.origin === baton.webUrl);
    expect(new URL(page.url()).origin).toBe(baton.webUrl);
  });

  it('has every header and no CSP violation on every console page', async () => {
    await visit(page, '/', () => page.getByRole('heading').first().waitFor());
    const teamHref = await page
      .locator('a[href^="/teams/"]')
      .evaluateAll((as) =>
        as
          .map((a) => a.getAttribute('href') ?? '')
          .find((h) => /^\/teams\/[0-9a-f-]{36}\//.test(h)),
      );
    state.teamId = teamHref?.match(/^\/teams\/([0-9a-f-]{36})/)?.[1];
    expect(state.teamId, 'the demo team is linked from the overview').toBeTruthy();
    const team = `/teams/${state.teamId}`;

    await visit(page, `${team}/tasks/new`, () =>
      page.getByRole('heading', { name: 'New task' }).waitFor(),
    );
    await hydrated(page);
    await page.getByLabel('Title (optional)').fill('csp check');
    await page.getByLabel('Prompt', { exact: true }).fill('Say hello.');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    state.taskId = page.url().match(/\/tasks\/([0-9a-f-]{36})$/)?.[1];

    const pages: [string, () => Promise<unknown>][] = [
      [
        `${team}/tasks/${state.taskId}`,
        () =>
          page
            .getByText(/succeeded/i)
            .first()
            .waitFor(),
      ],
      [`${team}/tasks`, () => page.getByText('csp check').first().waitFor()],
      [`${team}/analytics`, () => page.getByRole('heading').first().waitFor()],
      [`${team}/live`, () => page.getByRole('heading').first().waitFor()],
      [`${team}/members`, () => page.getByRole('heading').first().waitFor()],
      [`${team}/settings`, () => page.getByRole('heading').first().waitFor()],
      [`${team}/budget`, () => page.getByRole('heading').first().waitFor()],
      ['/settings/prices', () => page.getByRole('heading').first().waitFor()],
      ['/teams/new', () => page.getByLabel('Team name').waitFor()],
      ['/', () => page.getByRole('heading').first().waitFor()],
    ];
    for (const [p, ready] of pages) await visit(page, p, ready);

    // The theme toggle runs script on click: still no violation.
    const nonces = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const res = await page.goto(`${baton.webUrl}/`);
      const csp = (await res!.allHeaders())['content-security-policy'] ?? '';
      nonces.add(csp.match(/'nonce-([^']+)'/)?.[1] ?? '');
      // The inline theme script carries this response's nonce.
      const inline = await page.evaluate(() =>
        [...document.querySelectorAll('script:not([src])')].map(
          (s) => (s as HTMLScriptElement).nonce,
        ),
      );
      expect(inline.length).toBeGreaterThan(0);
      for (const n of inline) expect(n).toBe(csp.match(/'nonce-([^']+)'/)?.[1]);
    }
    expect(nonces.size, 'a fresh nonce per request').toBe(2);
    expect(violations, consoleErrors.join('\n')).toEqual([]);
  });

  it('sends the headers on a signed-out page, a redirect and the API', async () => {
    const signedOut = await fetch(`${baton.webUrl}/sign-up`);
    expectPageHeaders('/sign-up', Object.fromEntries(signedOut.headers));
    const redirect = await fetch(`${baton.webUrl}/teams/x/tasks`, { redirect: 'manual' });
    expect(redirect.status).toBeGreaterThanOrEqual(300);
    expect(redirect.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(redirect.headers.get('x-frame-options')).toBe('DENY');

    for (const p of ['/api/trpc/system.health', '/api/auth/get-session']) {
      const res = await fetch(`${baton.webUrl}${p}`);
      const h = Object.fromEntries(res.headers);
      expect(h['x-content-type-options'], p).toBe('nosniff');
      expect(h['x-frame-options'], p).toBe('DENY');
      expect(h['referrer-policy'], p).toBe('strict-origin-when-cross-origin');
      expect(h['content-security-policy'], p).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(h['x-powered-by'], p).toBeUndefined();
    }
    const asset = payloads.find((x) => x.url.includes('/_next/static/'));
    expect(asset, 'a static asset was loaded').toBeTruthy();
    const a = await fetch(asset!.url);
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses a tRPC batch over 20 calls', async () => {
    const cookie = (await ctx.cookies(baton.webUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
    const call = (n: number) =>
      fetch(
        `${baton.webUrl}/api/trpc/${Array.from({ length: n }, () => 'system.health').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`,
        { headers: { cookie } },
      );
    const ok = await call(20);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const tooMany = await call(21);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain('Batch call exceeds maximum size');
  });

  it('refuses a 2 MB body with 413 and a body of unknown length with 411 before reading them, and stays up', async () => {
    const r = await raw('/api/trpc/task.submit', { body: Buffer.alloc(2 * 1024 * 1024, 0x20) });
    expect(r.status).toBe(413);
    expect(r.ms).toBeLessThan(3000);
    // A 200 MB body of unknown length (chunked): refused at once, long before it is all sent.
    const chunked = await raw('/api/trpc/task.submit', {
      chunks: { count: 3200, size: 64 * 1024 },
    });
    // Answered 411, or cut off while still sending (the server read none of it).
    expect(chunked.status === 411 || chunked.reset === true, JSON.stringify(chunked)).toBe(true);
    expect(chunked.ms).toBeLessThan(10_000);
    const unknownLength = await raw('/api/trpc/task.submit', { chunks: { count: 1, size: 2 } });
    expect(unknownLength.status).toBe(411);
    expect(unknownLength.text).toMatch(/Content-Length/);
    expect(chunked.sentBytes).toBeLessThan(200 * 1024 * 1024);
    // The same on the auth routes; a body within the limit still reaches its handler.
    const auth = await raw('/api/auth/sign-in/email', { body: Buffer.alloc(1_100_000, 0x20) });
    expect(auth.status).toBe(413);
    const small = await raw('/api/trpc/system.health', { body: Buffer.from('{}') });
    expect(small.status).toBe(405); // a query over POST: tRPC's own answer, not the limit's
    // The server is still up and serving.
    const after = await fetch(`${baton.webUrl}/sign-in`);
    expect(after.status).toBe(200);
  });

  it.each([
    ['/\\evil.example'],
    ['//evil.example'],
    ['/\t/evil.example'],
    ['https://evil.example/'],
  ])('after sign-in with ?next=%j lands on the console', async (next) => {
    const c = await browser.newContext();
    try {
      const p = await c.newPage();
      await p.goto(`${baton.webUrl}/sign-in?next=${encodeURIComponent(next)}`);
      await signIn(p, state.demoEmail!, state.demoPassword!);
      await p.waitForURL((u) => u.origin === baton.webUrl && u.pathname === '/');
      await p.getByRole('heading').first().waitFor();
      expect(new URL(p.url()).origin).toBe(baton.webUrl);
      // Signed in, the sign-in page redirects on the server: still same-origin.
      await p.goto(`${baton.webUrl}/sign-in?next=${encodeURIComponent(next)}`);
      await p.waitForURL((u) => u.pathname === '/');
      expect(new URL(p.url()).origin).toBe(baton.webUrl);
    } finally {
      await c.close();
    }
  });

  it('puts no secret of the instance in any page payload', async () => {
    const found = secrets();
    expect(Object.keys(found)).toEqual(
      expect.arrayContaining(['BATON_SECRET', 'DATABASE_URL', 'database password']),
    );
    // More payloads: the RSC and HTML of the pages signed out and in.
    expect(payloads.length).toBeGreaterThan(20);
    expect(payloads.some((x) => x.url.includes('/_next/static/') && x.url.endsWith('.js'))).toBe(
      true,
    );
    for (const { url, body } of payloads)
      for (const [name, value] of Object.entries(found))
        expect(body.includes(value), `${name} in ${url}`).toBe(false);
  });

  // Last: these lock 127.0.0.1 out of signing in for the rest of the window.
  it('keeps the per-account sign-in limit under a spoofed X-Forwarded-For', async () => {
    const email = `nobody-${Date.now().toString(36)}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await fetch(`${baton.webUrl}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: baton.webUrl,
          'x-forwarded-for': `198.51.100.${i + 1}`,
          'x-real-ip': `198.51.100.${i + 1}`,
          'x-baton-peer': `198.51.100.${i + 1}`,
        },
        body: JSON.stringify({ email, password: 'wrong password' }),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('keeps the per-address sign-in limit under a spoofed X-Forwarded-For and x-baton-peer', async () => {
    let last: Response | undefined;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      last = await fetch(`${baton.webUrl}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: baton.webUrl,
          'x-forwarded-for': `203.0.113.${i + 1}`,
          'x-baton-peer': `203.0.113.${i + 1}`,
        },
        body: JSON.stringify({
          email: `someone-${i}-${Date.now().toString(36)}@example.test`,
          password: 'wrong password',
        }),
      });
      statuses.push(last.status);
      if (last.status === 429) break;
    }
    expect(last?.status, statuses.join(',')).toBe(429);
    expect(await last?.text()).toContain('from this address');
    expect(last?.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
