/**
 * Issue 12's console acceptance on a real Baton (`baton start`: embedded PostgreSQL, the
 * simulator, a worker confining Claude Code in bubblewrap, the built console) driven by
 * Debian's Chromium. The operator (the demo account) sets the workspace retention on
 * Settings → Sandbox (a refused value shown on its field); as the demo team's owner registers a
 * local repository under BATON_REPOS_DIRS (default <BATON_DATA_DIR>/repos; a path outside is
 * refused on the source field); submits a claude-code task on it from the form — an unknown ref
 * is refused on the ref field — with its tools narrowed; the task runs the real Claude Code,
 * scripted by a simulator model, in the sandbox: it reads, edits and writes files and runs a
 * small script; the task page shows the workspace (the clone's ref, the sandbox, the tools, the
 * files and the diff) and both downloads work (the archive and one file, as attachments), for
 * the team's members only. The Live page shows the worker as sandboxed. Screenshots land in
 * apps/web/test-results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

const MODEL = 'claude-opus-5-5';
let baton: RunningBaton;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let scratch: string;
const pageErrors: string[] = [];
const state: { teamId?: string; taskId?: string; repoPath?: string } = {};

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'e2e',
      GIT_AUTHOR_EMAIL: 'e2e@example.test',
      GIT_COMMITTER_NAME: 'e2e',
      GIT_COMMITTER_EMAIL: 'e2e@example.test',
    },
    stdio: 'pipe',
  })
    .toString()
    .trim();

const tool = (name: string, input: Record<string, unknown>) => ({
  content: [{ type: 'tool_use' as const, name, input }],
});

/** What the scripted model does, through the real Claude Code, inside its workspace. */
const BUILD_SCENARIO = {
  name: 'confined-build',
  turns: [
    tool('Read', { file_path: '/workspace/README.md' }),
    tool('Edit', {
      file_path: '/workspace/README.md',
      old_string: '# Widgets',
      new_string: '# Widgets, confined',
    }),
    tool('Write', {
      file_path: '/workspace/report.sh',
      content: '#!/bin/sh\nwc -l < README.md > lines.txt\necho counted\n',
    }),
    tool('Bash', { command: 'sh report.sh && cat lines.txt', description: 'run the script' }),
    { content: [{ type: 'text' as const, text: 'Widgets built in the sandbox.' }] },
  ],
};

/** The card (a <section>) whose heading is `title`. */
function section(p: Page, title: string) {
  return p.locator('section', { has: p.getByRole('heading', { name: title, exact: true }) });
}

async function shoot(p: Page, name: string) {
  await p.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
}

/** Waits until React has hydrated the element, so a click is not a native form post. */
async function hydrated(p: Page, selector = 'form') {
  await p.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return !!el && Object.keys(el).some((k) => k.startsWith('__reactProps'));
  }, selector);
}

/** The error shown on the field labelled `label` (its aria-describedby), once it is invalid. */
async function fieldError(p: Page, label: string): Promise<string> {
  const input = p.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
  const describedBy = await input.getAttribute('aria-describedby');
  expect(describedBy).toMatch(/-error$/);
  return p.locator(`[id="${describedBy}"]`).innerText();
}

beforeAll(async () => {
  baton = await startBaton();
  // A repository where the default BATON_REPOS_DIRS allows it: <BATON_DATA_DIR>/repos.
  scratch = mkdtempSync(path.join(os.tmpdir(), 'baton-e2e-src-'));
  const repos = path.join(baton.dataDir, 'repos');
  mkdirSync(repos, { recursive: true });
  state.repoPath = path.join(repos, 'widgets.git');
  git(scratch, 'init', '--bare', '--initial-branch=main', state.repoPath);
  const src = path.join(scratch, 'src');
  git(scratch, 'clone', state.repoPath, src);
  writeFileSync(path.join(src, 'README.md'), '# Widgets\n\nA small project.\n');
  git(src, 'add', '.');
  git(src, 'commit', '-m', 'first');
  git(src, 'push', 'origin', 'main');

  const res = await fetch(`${baton.simUrl}/_sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: { scenarios: [BUILD_SCENARIO] } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  // Generous: CI machines are shared (other builds and benchmarks run beside this).
  ctx.setDefaultTimeout(90_000);
  page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('confined claude-code tasks in the console', () => {
  it('the operator sets the workspace retention on Settings → Sandbox', async () => {
    const m = baton.output().match(/Sign in {5}(\S+@\S+) {2}\/ {2}(\S+)/);
    expect(m, baton.output()).toBeTruthy();
    await page.goto(`${baton.webUrl}/sign-in`);
    await hydrated(page);
    await page.getByLabel('Email').fill(m![1]!);
    await page.getByLabel('Password').fill(m![2]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    state.teamId = (
      await page
        .locator('a[href^="/teams/"]')
        .evaluateAll((as) =>
          as
            .map((a) => a.getAttribute('href') ?? '')
            .find((h) => /^\/teams\/[0-9a-f-]{36}\//.test(h)),
        )
    )?.match(/^\/teams\/([0-9a-f-]{36})/)?.[1];
    expect(state.teamId, 'the demo team is linked from the overview').toBeTruthy();

    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.waitForURL(`${baton.webUrl}/settings/sandbox`);
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor();
    await hydrated(page);
    const retention = page.getByLabel('Workspace retention (days)');
    expect(await retention.inputValue()).toBe('7');
    await retention.fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    expect(await fieldError(page, 'Workspace retention (days)')).toBe('At least 1 day.');
    await shoot(page, 'sandbox-settings-error');
    await retention.fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor();
    expect(await page.getByLabel('Workspace retention (days)').inputValue()).toBe('14');
  });

  it('a team admin registers a local repository (a path outside BATON_REPOS_DIRS refused on its field)', async () => {
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
    const card = section(page, 'Repositories');
    await card.getByText('No repositories').waitFor();
    await hydrated(page);
    await card.getByLabel('Name', { exact: true }).fill('widgets');
    await card.getByLabel('Git URL or path').fill('/etc');
    await card.getByRole('button', { name: 'Add repository' }).click();
    expect(await fieldError(page, 'Git URL or path')).toMatch(/outside the folders/);
    await card.getByLabel('Git URL or path').fill(state.repoPath!);
    await card.getByRole('button', { name: 'Add repository' }).click();
    await card.getByText(/Added widgets at [0-9a-f]{12}\./).waitFor();
    const list = card.getByRole('list', { name: 'Repositories' });
    await expect.poll(() => list.innerText()).toContain(state.repoPath!);
    await expect.poll(() => list.innerText()).toContain('HEAD');
    // The team's Claude Code policy is there too, on Baton's defaults.
    await page.getByRole('heading', { name: 'Claude Code tools and permission mode' }).waitFor();
    expect(await page.getByRole('checkbox', { name: /^Bash/ }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /^WebSearch/ }).isChecked()).toBe(false);
    await shoot(page, 'team-repositories');
  });

  it('submits a claude-code task on it: an unknown ref is refused on the ref field', async () => {
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/new`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await hydrated(page);
    await page.getByLabel('Title (optional)').fill('Confined widgets');
    await page.getByLabel('Prompt', { exact: true }).fill('[[scenario:confined-build]] build it');
    await page.getByRole('radio', { name: /Claude Code/ }).check();
    await page.getByLabel('Model', { exact: true }).fill(MODEL);
    await page.getByLabel('Repository', { exact: true }).selectOption('widgets');
    await page.getByLabel('Ref', { exact: true }).fill('no-such-branch');
    // Narrow the team's tools for this task: no Glob, no Grep.
    await page.getByRole('checkbox', { name: 'Glob' }).uncheck();
    await page.getByRole('checkbox', { name: 'Grep' }).uncheck();
    await page.getByRole('button', { name: 'Submit task' }).click();
    expect(await fieldError(page, 'Ref')).toMatch(/no-such-branch/);
    expect(page.url()).toMatch(/\/tasks\/new$/);
    await shoot(page, 'task-new-bad-ref');

    await page.getByLabel('Ref', { exact: true }).fill('main');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    state.taskId = page.url().match(/\/tasks\/([0-9a-f-]{36})$/)![1]!;
  });

  it('the task runs in the sandbox and its page shows the workspace', async () => {
    const header = page.getByRole('heading', { level: 1 });
    await expect
      .poll(() => header.innerText(), { timeout: 180_000 })
      .toMatch(/succeeded|failed|cancel|timed out|over budget/i);
    expect(await header.innerText(), await page.locator('main').innerText()).toMatch(/succeeded/i);
    await page.getByText('Widgets built in the sandbox.').waitFor();

    const ws = section(page, 'Workspace');
    await ws.getByRole('table').waitFor();
    const rows = ws.locator('tbody tr');
    await expect
      .poll(async () =>
        (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).sort(),
      )
      .toEqual([
        expect.stringMatching(/^README\.md modified \d+ B Download/),
        expect.stringMatching(/^lines\.txt added 2 B Download/),
        expect.stringMatching(/^report\.sh added \d+ B Download/),
      ]);
    const summary = await ws.innerText();
    expect(summary).toContain('widgets @ main');
    expect(summary).toContain('bubblewrap');
    // The tools this task had: the team's, narrowed by the form.
    for (const t of ['Read', 'Write', 'Edit', 'Bash'])
      expect(await ws.getByText(t, { exact: true }).count(), t).toBe(1);
    for (const t of ['Glob', 'Grep'])
      expect(await ws.getByText(t, { exact: true }).count(), t).toBe(0);
    const diff = await ws.getByTestId('workspace-diff').innerText();
    expect(diff).toContain('-# Widgets');
    expect(diff).toContain('+# Widgets, confined');
    expect(pageErrors).toEqual([]);
    await shoot(page, 'task-workspace');
  });

  it('downloads the workspace and one file, as attachments, for members only', async () => {
    const ws = section(page, 'Workspace');
    const [archive] = await Promise.all([
      page.waitForEvent('download'),
      ws.getByRole('link', { name: /Download workspace/ }).click(),
    ]);
    expect(archive.suggestedFilename()).toBe(`task-${state.taskId!.slice(0, 8)}-workspace.tar.gz`);
    const tarText = gunzipSync(readFileSync((await archive.path())!)).toString('latin1');
    expect(tarText).toContain('# Widgets, confined');
    expect(tarText).toContain('echo counted');

    const [one] = await Promise.all([
      page.waitForEvent('download'),
      ws.getByRole('link', { name: 'Download lines.txt' }).click(),
    ]);
    expect(one.suggestedFilename()).toBe('lines.txt');
    expect(readFileSync((await one.path())!, 'utf8')).toBe('3\n');

    const url = `${baton.webUrl}/api/tasks/${state.taskId}/workspace`;
    const whole = await ctx.request.get(url);
    expect(whole.status()).toBe(200);
    expect(whole.headers()['content-type']).toBe('application/gzip');
    expect(whole.headers()['content-disposition']).toMatch(/^attachment; filename="task-/);
    expect(whole.headers()['x-content-type-options']).toBe('nosniff');
    const file = await ctx.request.get(`${url}?path=README.md`);
    expect(file.status()).toBe(200);
    expect(file.headers()['content-type']).toBe('application/octet-stream');
    expect(file.headers()['content-disposition']).toMatch(/^attachment; filename="README\.md"/);
    expect(await file.text()).toBe('# Widgets, confined\n\nA small project.\n');
    expect((await ctx.request.get(`${url}?path=nope.txt`)).status()).toBe(404);

    // Signed out: 401. Signed in as someone of another team: 404, as for no such task.
    expect((await fetch(url)).status).toBe(401);
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      await p.goto(`${baton.webUrl}/sign-up`);
      await hydrated(p);
      await p.getByLabel('Name').fill('Eve Outsider');
      await p.getByLabel('Email').fill(`eve-${Date.now().toString(36)}@example.test`);
      await p.getByLabel('Password').fill('correct horse battery');
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.waitForURL(`${baton.webUrl}/teams/new`);
      const res = await other.request.get(url);
      expect(res.status()).toBe(404);
      expect(await res.text()).not.toContain('Widgets');
    } finally {
      await other.close();
    }
  });

  it('the Live page shows the worker as sandboxed', async () => {
    await page.goto(`${baton.webUrl}/teams/${state.teamId}/live`);
    const workers = section(page, 'Workers');
    await workers.getByRole('table').waitFor();
    await expect
      .poll(() => workers.locator('[data-sandbox]').first().getAttribute('data-sandbox'))
      .toBe('sandboxed');
    await shoot(page, 'live-sandboxed');
  });
});
