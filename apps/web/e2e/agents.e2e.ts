/**
 * Issue 15's console, on a real Baton (`baton start`: embedded PostgreSQL, the simulator, a worker
 * and the built console), signed in as the demo account:
 *
 * - a tree of real agents spawned through the api as that member (`agent.spawn`, the same tRPC
 *   the console calls, with the page's session): a lead (the simulator paces its reply so it is
 *   still running while its children work) and two children, all run by the worker against the
 *   simulator. The lead's task page shows the Agents panel live: 3 agents indented under the
 *   lead, their roles, statuses going to succeeded, proof that each called the model, and per
 *   agent costs that add up (to 4 decimals) to the tree's total shown;
 * - cancel on a queued branch: with the team held to one task at a time, a second lead runs and
 *   its child waits in the queue; the child's Cancel (confirmed) cancels that branch only, the
 *   lead's Cancel then the whole tree;
 * - a mesh run (`agent.coordinate`, two peers whose simulated replies follow the board protocol):
 *   the board lists their findings and votes by round and author, live, until the run stops;
 * - Settings → MCP tokens: a missing name is an inline field error; a token is shown once (with
 *   the `claude mcp add` line), listed with "never" used; used once on the MCP server, it is
 *   listed as used just now (and gone after the reload); revoked, the server refuses it.
 *
 * Screenshots land in apps/web/test-results/agents-*.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fieldErrorText, type RunningBaton, startBaton } from './baton';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(out, { recursive: true });

let baton: RunningBaton;
let browser: Browser;
let a: Page;
const pageErrors: string[] = [];
const state: { teamId?: string; root?: string; children: string[] } = { children: [] };

async function shoot(page: Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => {
      localStorage.setItem('baton-theme', t);
      document.documentElement.classList.toggle('dark', t === 'dark');
    }, theme);
    await page.screenshot({ path: path.join(out, `agents-${name}-${theme}.png`), fullPage: true });
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

/** A tRPC mutation as the signed-in member (the page's cookies), superjson-encoded like the console's. */
async function mutate<T>(procedure: string, input: unknown): Promise<T> {
  const res = await a.request.post(`${baton.webUrl}/api/trpc/${procedure}`, {
    data: { json: input },
  });
  const body = await res.text();
  expect(res.status(), `${procedure}: ${body}`).toBe(200);
  return (JSON.parse(body) as { result: { data: { json: T } } }).result.data.json;
}

async function spawn(input: {
  task: string;
  role: string;
  parent_id?: string;
  budget_usd?: number;
}): Promise<string> {
  const r = await mutate<{ agentId: string; status: string }>('agent.spawn', {
    teamId: state.teamId,
    ...input,
  });
  expect(r.status).toBe('queued');
  return r.agentId;
}

/** What the Agents panel shows now, agent by agent in the order shown, and the tree's spend. */
async function panel() {
  return a.evaluate(() => {
    const tree = document.querySelector('[data-testid="agent-tree"]');
    const agents = [...(tree?.querySelectorAll('li[data-agent]') ?? [])].map((li) => ({
      id: li.getAttribute('data-agent') ?? '',
      role: li.querySelector('[data-testid="agent-role"]')?.textContent ?? '',
      status: li.getAttribute('data-status') ?? '',
      depth: Number(li.getAttribute('data-depth')),
      costUsd: Number(li.getAttribute('data-cost-usd')),
      costShown: li.querySelector('[data-testid="agent-cost"]')?.textContent ?? '',
      tokensShown: li.querySelector('[data-testid="agent-tokens"]')?.textContent ?? '',
      requests: Number(
        li.querySelector('[data-testid="agent-proof"]')?.getAttribute('data-requests') ?? -1,
      ),
      noModelCall: !!li.querySelector('[data-testid="no-model-call"]'),
      result: li.querySelector('[data-testid="agent-result"]')?.textContent ?? null,
      cancel: [...li.querySelectorAll('button')].some((b) => /^Cancel/.test(b.textContent ?? '')),
      indent: Number.parseFloat(getComputedStyle(li).paddingLeft),
    }));
    const spend = tree?.querySelector('[data-testid="tree-spend"]');
    return {
      agents,
      treeStatus: tree?.querySelector('[data-testid="tree-status"]')?.getAttribute('data-status'),
      spentUsd: Number(spend?.getAttribute('data-spent-usd') ?? Number.NaN),
      spendText: spend?.textContent ?? '',
    };
  });
}

/** An MCP `initialize` with `token` on the running Baton's MCP server: its HTTP status. */
async function mcpInitialize(token: string): Promise<number> {
  const res = await fetch(baton.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'baton-e2e', version: '1.0.0' },
      },
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** "$0.0123" → 0.0123. */
function dollars(shown: string): number {
  const m = shown.match(/\$(\d+\.\d{4})/);
  expect(m, shown).not.toBeNull();
  return Number(m![1]);
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
    await a?.screenshot({ path: path.join(out, `agents-FAILED-${name}.png`), fullPage: true });
    writeFileSync(path.join(out, `agents-FAILED-${name}.html`), (await a?.content()) ?? '');
  });
});

afterAll(async () => {
  await browser?.close();
  const code = await baton?.stop();
  if (baton) expect(code, baton.output().slice(-4000)).toBe(0);
});

describe('the console shows a multi-agent tree live, and the MCP tokens', () => {
  it('signs in as the demo account', async () => {
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
  });

  it('a lead and two children run on the worker; the panel shows them live, their proof, and costs that add up to the tree’s total', async () => {
    // The lead's reply streams at 5 tokens a second (about a minute): it is still running while its
    // children (the simulator's ordinary, unpaced replies) are spawned, run and finish.
    await simConfig({
      scenario: {
        name: 'slow-lead',
        turns: [
          {
            content: [
              {
                type: 'text',
                text: Array.from(
                  { length: 20 },
                  (_, i) => `Step ${i + 1} of the plan is delegated and checked.`,
                ).join(' '),
              },
            ],
            tokens_per_second: 5,
          },
        ],
      },
    });
    state.root = await spawn({
      task: '[[scenario:slow-lead]] Plan the survey and delegate it.',
      role: 'lead',
      budget_usd: 5,
    });
    state.children.push(
      await spawn({
        task: 'Survey the three sources.',
        role: 'researcher',
        parent_id: state.root,
      }),
      await spawn({ task: 'Review the survey.', role: 'reviewer', parent_id: state.root }),
    );

    await a.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/${state.root}`);
    await a.getByRole('heading', { name: 'Agents' }).waitFor();
    // Live: the lead is seen running (the page is not reloaded), then everything succeeded.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const p = await panel();
          for (const ag of p.agents) seen.add(`${ag.role}:${ag.status}`);
          return p.agents.map((ag) => `${ag.role}:${ag.status}`);
        },
        { timeout: 120_000 },
      )
      .toEqual(['lead:running', 'researcher:succeeded', 'reviewer:succeeded']);
    await shoot(a, 'tree-running');
    await expect
      .poll(async () => (await panel()).agents.map((ag) => `${ag.role}:${ag.status}`), {
        timeout: 120_000,
      })
      .toEqual(['lead:succeeded', 'researcher:succeeded', 'reviewer:succeeded']);
    expect(seen.has('lead:running')).toBe(true);
    await expect.poll(async () => (await panel()).treeStatus).toBe('succeeded');

    const p = await panel();
    expect(p.agents.map((ag) => ag.id)).toEqual([state.root, ...state.children]);
    expect(p.agents.map((ag) => ag.depth)).toEqual([0, 1, 1]);
    // The children are indented under the lead.
    expect(p.agents[1]!.indent).toBeGreaterThan(p.agents[0]!.indent);
    for (const ag of p.agents) {
      // Proof of execution: each made at least one provider request, none is flagged.
      expect(ag.requests, ag.role).toBeGreaterThanOrEqual(1);
      expect(ag.noModelCall, ag.role).toBe(false);
      expect(ag.cancel, ag.role).toBe(false);
      expect(ag.costUsd, ag.role).toBeGreaterThan(0);
      expect(ag.costShown).toBe(`$${ag.costUsd.toFixed(4)}`);
      expect(ag.tokensShown).toMatch(/^[1-9][\d,]* tokens$/);
      expect(ag.result?.length ?? 0, ag.role).toBeGreaterThan(0);
    }
    expect(p.agents[0]!.result).toContain('Step 1 of the plan is delegated');

    // The tree's spend is its agents' spend: exactly, and as shown to 4 decimals.
    const exact = p.agents.reduce((s, ag) => s + ag.costUsd, 0);
    expect(p.spentUsd).toBeCloseTo(exact, 6);
    const total = dollars(p.spendText);
    expect(p.spendText).toContain(`$${p.spentUsd.toFixed(4)} of $5.0000`);
    const shownSum = p.agents.reduce((s, ag) => s + dollars(ag.costShown), 0);
    // Each figure is rounded to 4 decimals: their sum is the total's within the rounding.
    expect(Math.abs(shownSum - total)).toBeLessThanOrEqual(0.00005 * (p.agents.length + 1) + 1e-9);
    // The budget bar: spent / budget.
    const bar = a.getByRole('progressbar', { name: /^Budget:/ });
    expect(await bar.getAttribute('aria-label')).toBe(
      `Budget: $${p.spentUsd.toFixed(4)} of $5.0000`,
    );
    await shoot(a, 'tree-done');

    // A child's page shows the same tree, itself marked, with a link back to the lead.
    await a
      .locator(`li[data-agent="${state.children[0]}"] a[href$="/tasks/${state.children[0]}"]`)
      .click();
    await a.waitForURL(new RegExp(`/tasks/${state.children[0]}$`));
    await a.locator(`li[data-agent="${state.children[0]}"]`).getByText('this task').waitFor();
    expect((await panel()).agents).toHaveLength(3);
  });

  it('cancels a queued branch (confirmed), leaving its lead running; the lead’s cancel stops the tree', async () => {
    // One task at a time for the team: the lead runs (slowly), its child waits in the queue.
    await mutate('team.update', { teamId: state.teamId, maxConcurrentTasks: 1 });
    await simConfig({
      scenario: {
        name: 'slower-lead',
        turns: [
          {
            content: [{ type: 'text', text: 'Thinking it over at length. '.repeat(200) }],
            tokens_per_second: 3,
          },
        ],
      },
    });
    try {
      const lead = await spawn({
        task: '[[scenario:slower-lead]] Lead the second survey.',
        role: 'lead',
      });
      await a.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/${lead}`);
      await a.getByRole('heading', { name: 'Agents' }).waitFor();
      await expect
        .poll(async () => (await panel()).agents.map((ag) => `${ag.role}:${ag.status}`))
        .toEqual(['lead:running']);
      const child = await spawn({
        task: 'Survey the fourth source.',
        role: 'scout',
        parent_id: lead,
      });
      await expect
        .poll(async () => (await panel()).agents.map((ag) => `${ag.role}:${ag.status}`))
        .toEqual(['lead:running', 'scout:queued']);
      // Still queued a moment later: the team's one slot is the lead's.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await panel()).agents.map((ag) => `${ag.role}:${ag.status}`)).toEqual([
        'lead:running',
        'scout:queued',
      ]);
      await hydrated(a, `li[data-agent="${child}"] button`);
      const row = a.locator(`li[data-agent="${child}"]`);
      await row.getByRole('button', { name: 'Cancel scout' }).click();
      await shoot(a, 'cancel-confirm');
      await row.getByRole('button', { name: 'Cancel scout and its agents' }).click();
      await expect
        .poll(async () => (await panel()).agents.map((ag) => `${ag.role}:${ag.status}`))
        .toEqual(['lead:running', 'scout:cancelled']);
      expect((await panel()).treeStatus).toBe('running');
      await shoot(a, 'branch-cancelled');

      const leadRow = a.locator(`li[data-agent="${lead}"]`);
      await leadRow.getByRole('button', { name: 'Cancel lead' }).click();
      await leadRow.getByRole('button', { name: 'Cancel lead and its agents' }).click();
      await expect
        .poll(async () => (await panel()).agents.map((ag) => `${ag.role}:${ag.status}`), {
          timeout: 60_000,
        })
        .toEqual(['lead:cancelled', 'scout:cancelled']);
      await expect.poll(async () => (await panel()).treeStatus).toBe('cancelled');
      await a.getByTestId('tree-stop-reason').waitFor();
      expect((await panel()).agents.every((ag) => !ag.cancel)).toBe(true);
    } finally {
      await mutate('team.update', { teamId: state.teamId, maxConcurrentTasks: 4 });
      await simConfig({ scenario: null });
    }
  });

  it('a mesh run shows its board live: the peers’ findings and votes by round and author', async () => {
    // Each peer's reply follows the board protocol: a finding and a vote to stop.
    await simConfig({
      scenario: {
        name: 'mesh-peer',
        after_last: 'repeat-last',
        turns: [
          {
            content: [
              {
                type: 'text',
                text: 'FINDING: Caching the index halves the latency.\nVOTE: done',
              },
            ],
          },
        ],
      },
    });
    try {
      const run = await mutate<{ root_id: string; strategy: string }>('agent.coordinate', {
        teamId: state.teamId,
        goal: 'Decide how to make search faster.',
        strategy: 'mesh',
        agents: [
          { role: 'optimist', instructions: '[[scenario:mesh-peer]] Argue for caching.' },
          { role: 'skeptic', instructions: '[[scenario:mesh-peer]] Question caching.' },
        ],
        budget_usd: 2,
        max_rounds: 2,
      });
      expect(run.strategy).toBe('mesh');
      await a.goto(`${baton.webUrl}/teams/${state.teamId}/tasks/${run.root_id}`);
      await a.getByRole('heading', { name: 'Agents' }).waitFor();
      await a.getByRole('heading', { name: 'Board' }).waitFor();
      const posts = () =>
        a.evaluate(() =>
          [...document.querySelectorAll('li[data-post]')].map(
            (li) =>
              `${li.getAttribute('data-round')}:${li.getAttribute('data-author')}:${li.getAttribute('data-kind')}`,
          ),
        );
      await expect
        .poll(async () => (await posts()).sort(), { timeout: 120_000 })
        .toEqual(
          expect.arrayContaining([
            '1:optimist:finding',
            '1:optimist:vote',
            '1:skeptic:finding',
            '1:skeptic:vote',
          ]),
        );
      await a.getByText('Caching the index halves the latency.').first().waitFor();
      await expect
        .poll(async () => (await panel()).treeStatus, { timeout: 120_000 })
        .not.toBe('running');
      const p = await panel();
      expect(p.agents.map((ag) => ag.role)).toEqual(
        expect.arrayContaining(['optimist', 'skeptic']),
      );
      expect(p.agents.every((ag) => ag.status !== 'queued' && ag.status !== 'running')).toBe(true);
      await shoot(a, 'mesh-board');
    } finally {
      await simConfig({ scenario: null });
    }
  });

  it('Settings: an MCP token is created (shown once), listed with "never" used, and revoked', async () => {
    await a.goto(`${baton.webUrl}/teams/${state.teamId}/settings`);
    await a.getByRole('heading', { name: 'MCP tokens' }).waitFor();
    await a.getByText('No MCP tokens').waitFor();
    await hydrated(a, 'input[name="name"]');
    const name = a.getByLabel('Token name');
    // A missing name is the field's own error.
    await a.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => fieldErrorText(name)).toBe('Name the token.');
    expect(await name.getAttribute('aria-invalid')).toBe('true');

    await name.fill('Ada’s laptop');
    await a.getByRole('button', { name: 'Create token' }).click();
    const tokenBox = a.getByLabel('MCP token', { exact: true });
    await tokenBox.waitFor();
    const token = await tokenBox.inputValue();
    expect(token).toMatch(/^baton_mcp_[A-Za-z0-9_-]{43}$/);
    await a.getByText("it won't be shown again").waitFor();
    const command = await a.getByLabel('Claude Code command', { exact: true }).inputValue();
    expect(command).toBe(
      `claude mcp add --transport http baton http://127.0.0.1:4030/mcp --header "Authorization: Bearer ${token}"`,
    );
    const row = a.locator('tr[data-token-name="Ada’s laptop"]');
    await row.waitFor();
    expect(await row.locator('td').nth(2).textContent()).toBe('Demo');
    const prefix = ((await row.locator('td').nth(1).textContent()) ?? '').replace('…', '').trim();
    expect(prefix.length).toBeGreaterThan(4);
    expect(token).toContain(prefix);
    expect(await row.getByTestId('token-last-used').textContent()).toBe('never');
    expect(await row.getByTestId('token-status').textContent()).toBe('active');
    await shoot(a, 'mcp-token-created');

    // The token is Baton's MCP server's key for this team: used once, it is no longer "never".
    expect(await mcpInitialize(token)).toBe(200);
    // Shown once: after a reload only the listing is left, never the token.
    await a.reload();
    await row.waitFor();
    expect(await a.getByLabel('MCP token', { exact: true }).count()).toBe(0);
    expect(await a.locator('body').textContent()).not.toContain(token);
    expect(await row.getByTestId('token-last-used').textContent()).toBe('just now');

    await hydrated(a, 'tr[data-token-name] button');
    await row.getByRole('button', { name: 'Revoke Ada’s laptop' }).click();
    await row.getByRole('button', { name: 'Yes, revoke Ada’s laptop' }).click();
    await expect.poll(() => row.getByTestId('token-status').textContent()).toBe('revoked');
    expect(await row.getByRole('button').count()).toBe(0);
    // Revoked: its next request is refused.
    expect(await mcpInitialize(token)).toBe(401);
    await shoot(a, 'mcp-token-revoked');
    expect(pageErrors).toEqual([]);
  });
});
