/**
 * A claude-code task with `options.mcp` gets Baton's MCP server in its session, as that task: a
 * real worker (BATON_SANDBOX=required, bubblewrap) runs the real Claude Code, scripted by the
 * simulator, whose MCP client reaches Baton's real MCP server (Streamable HTTP) only through the
 * sandbox's proxy. The lead spawns an api agent and waits for it: the agent is a task of the
 * lead's tree (depth 1, same team, created by the lead's creator), the worker runs it, and its
 * answer comes back into the lead's session. The task token the worker minted is revoked when the
 * lead ends, and appears in no task event, stored transcript, workspace snapshot or log line.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createDb, type DbClient } from '@baton/db';
import { submitTask } from '@baton/db/queue';
import { memberships, users } from '@baton/db/schema';
import type { RunningHttpServer } from '@baton/mcp';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerOptions } from '../src/worker';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask, waitUntil } from './wait';

const MODEL = 'claude-opus-5-5';
const CHILD_ANSWER = 'The answer is 42, counted by the helper.';
const CHECKER_ANSWER = 'Checked: 42 is right.';

let dir: string;
let h: WorkerHarness;
let mcpDb: DbClient;
let mcp: RunningHttpServer;
const mcpErrors: unknown[] = [];
const logs: string[] = [];
const userId = `u_${randomUUID().slice(0, 8)}`;
/** A task of the same team outside the lead's tree (the first test's). */
let outsider: string | undefined;

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const tool = (name: string, input: Record<string, unknown>) => ({
  content: [{ type: 'tool_use' as const, name, input }],
});

/** The lead's script; the wait names the spawned agents once the test knows their ids. */
function scenarios(
  childIds = ['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001'],
) {
  return {
    scenarios: [
      {
        name: 'lead',
        turns: [
          tool('mcp__baton__spawn_agent', {
            task: 'Count to 42. [[scenario:child]]',
            backend: 'api',
            role: 'helper',
          }),
          tool('mcp__baton__spawn_agent', {
            task: 'Check the count. [[scenario:checker]]',
            backend: 'api',
            role: 'checker',
          }),
          // What the lead sees of the team: its own tree only.
          tool('mcp__baton__list_agents', {}),
          // While this runs, the test reads the agent's id and scripts the wait with it.
          tool('Bash', { command: 'sleep 6; echo slept', description: 'wait a moment' }),
          tool('mcp__baton__wait_agent', { agent_ids: childIds, timeout_ms: 90_000 }),
          text('lead done: the helper answered'),
        ],
      },
      { name: 'child', turns: [text(CHILD_ANSWER)] },
      { name: 'checker', turns: [text(CHECKER_ANSWER)] },
    ],
  };
}

const sandboxOptions = (): NonNullable<WorkerOptions['sandbox']> => ({
  mode: 'required',
  workspacesDir: path.join(dir, 'workspaces'),
  reposDirs: [],
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'baton-mcp-sbx-'));
  // The sandbox's host user (nobody, when the tests run as root) must reach the workspaces.
  chmodSync(dir, 0o711);
  h = await startWorkerHarness({
    team: { name: 'MCP in sandbox', slug: 'mcp-sbx' },
    seed: 5,
    apiKey: 'sk-mcp-sbx',
    concurrency: 3,
    queue: { retryLimit: 0, retryDelaySeconds: 1 },
    sandbox: sandboxOptions(),
  });
  await h.client.db.insert(users).values({ id: userId, name: 'Lead', email: `${userId}@t.test` });
  await h.client.db.insert(memberships).values({ teamId: h.teamId, userId, role: 'member' });
  h.sim.configure({ scenario: scenarios() });
  mcpDb = createDb(h.tdb.url);
  // @baton/mcp validates its environment when loaded (as `baton mcp` would be started).
  process.env.DATABASE_URL = h.tdb.url;
  const { startHttpServer } = await import('@baton/mcp');
  mcp = await startHttpServer({
    client: mcpDb,
    databaseUrl: h.tdb.url,
    boss: async () => h.boss,
    port: 0,
    onError: (err) => mcpErrors.push(err),
  });
}, 180_000);

afterAll(async () => {
  await h?.worker?.stop();
  await mcp?.close();
  await mcpDb?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function toolResults(taskId: string) {
  const { rows } = await h.client.pool.query<{ data: { content: string; isError: boolean } }>(
    `select data from task_events where task_id = $1 and type = 'tool_result' order by seq`,
    [taskId],
  );
  return rows.map((r) => r.data);
}

describe("Baton's MCP server in a sandboxed claude-code task", { timeout: 240_000 }, () => {
  it('a worker without BATON_MCP_URL fails such a task, saying so', async () => {
    const t = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: 'hello',
      backend: 'claude-code',
      model: MODEL,
      createdBy: userId,
      options: { mcp: true },
    });
    outsider = t.id;
    const done = await terminalTask(h.client.pool, t.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatchObject({ type: 'InvalidRequest' });
    expect(done.error?.message).toMatch(/this worker has no MCP server \(BATON_MCP_URL\)/);
    const tokens = await h.client.pool.query('select 1 from mcp_tokens where task_id = $1', [t.id]);
    expect(tokens.rows).toHaveLength(0);
  });

  it('the lead spawns two agents in its tree and gets their answers; the token is revoked and never stored', async () => {
    // The same database, now with a worker that knows the MCP server (and logs everything).
    await h.worker.stop();
    h.worker = await h.startWorker({
      provider: { baseURL: h.sim.url, apiKey: 'sk-mcp-sbx' },
      concurrency: 3,
      queue: { retryLimit: 0, retryDelaySeconds: 1 },
      sandbox: sandboxOptions(),
      mcpUrl: mcp.url,
      logger: pino(
        { name: 'baton-worker', level: 'trace' },
        { write: (line: string) => void logs.push(line) },
      ),
    });

    const lead = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: '[[scenario:lead]] Delegate the count to a helper.',
      backend: 'claude-code',
      model: MODEL,
      createdBy: userId,
      budgetUsd: '5',
      options: { mcp: true },
    });

    // The agents the lead spawned (through its MCP client, the sandbox's proxy, the server).
    const [child, checker] = await waitUntil(
      async () => {
        const { rows } = await h.client.pool.query<{ id: string }>(
          'select id from tasks where parent_task_id = $1 order by created_at, id',
          [lead.id],
        );
        return rows.length === 2 ? rows : undefined;
      },
      90_000,
      'the two agents the lead spawns',
    );
    h.sim.configure({ scenario: scenarios([child!.id, checker!.id]) });

    // While the lead runs, its token is live: scoped to the lead and its tree, as its creator.
    const live = await h.client.pool.query<{
      name: string;
      root_task_id: string;
      created_by: string;
      revoked_at: Date | null;
      expires_at: Date;
      last_used_at: Date | null;
      prefix: string;
    }>('select * from mcp_tokens where task_id = $1', [lead.id]);
    expect(live.rows).toHaveLength(1);
    const token = live.rows[0]!;
    expect(token).toMatchObject({
      name: `task ${lead.id.slice(0, 8)}`,
      root_task_id: lead.id,
      created_by: userId,
      revoked_at: null,
    });
    expect(token.last_used_at).not.toBeNull();
    // It expires with the task's timeout (the worker's default 30 min, plus a minute).
    const ttl = token.expires_at.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(25 * 60_000);
    expect(ttl).toBeLessThan(32 * 60_000);

    const done = await terminalTask(h.client.pool, lead.id, 180_000);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'succeeded',
      result: 'lead done: the helper answered',
    });

    // The agent: a task of the lead's tree, of the same team, created by the lead's creator,
    // run by the worker on the api backend.
    const { rows: kids } = await h.client.pool.query(
      `select team_id, parent_task_id, root_task_id, depth, created_by, backend::text as backend,
              status::text as status, result, role
         from tasks where parent_task_id = $1 order by created_at, id`,
      [lead.id],
    );
    expect(kids).toEqual([
      {
        team_id: h.teamId,
        parent_task_id: lead.id,
        root_task_id: lead.id,
        depth: 1,
        created_by: userId,
        backend: 'api',
        status: 'succeeded',
        result: CHILD_ANSWER,
        role: 'helper',
      },
      {
        team_id: h.teamId,
        parent_task_id: lead.id,
        root_task_id: lead.id,
        depth: 1,
        created_by: userId,
        backend: 'api',
        status: 'succeeded',
        result: CHECKER_ANSWER,
        role: 'checker',
      },
    ]);
    // The lead became the root of a tree (it had none), under its budget.
    const tree = await h.client.pool.query<{ agents: number; budget: string }>(
      'select agents, budget_usd::text as budget from task_trees where root_task_id = $1',
      [lead.id],
    );
    expect(tree.rows).toEqual([{ agents: 3, budget: '5.000000' }]);

    // It ran confined: bubblewrap, whose only way out is the proxy (the MCP server included).
    const box = await h.client.pool.query<{ data: { sandbox: { kind: string } } }>(
      `select data from task_events where task_id = $1 and type = 'sandbox'`,
      [lead.id],
    );
    expect(box.rows[0]?.data.sandbox.kind).toBe('bubblewrap');

    // The lead's tool results: the spawn (the agent's id), the list (its tree: the lead and the
    // agent, not the team's other task), the sleep, and the wait with the agent's answer — all
    // through Baton's MCP server, none refused.
    const r = await toolResults(lead.id);
    expect(r.map((x) => x.isError)).toEqual([false, false, false, false, false]);
    expect(r[0]!.content).toContain(child!.id);
    expect(r[1]!.content).toContain(checker!.id);
    expect(r[2]!.content).toContain(child!.id);
    expect(r[2]!.content).toContain(checker!.id);
    expect(outsider).toBeDefined();
    expect(r[2]!.content).not.toContain(outsider);
    expect(r[3]!.content).toContain('slept');
    const waited = JSON.parse(r[4]!.content) as {
      agents: Array<{ agent_id: string; status: string; result?: string }>;
      timed_out: boolean;
    };
    expect(waited).toMatchObject({
      timed_out: false,
      agents: [
        { agent_id: child!.id, status: 'succeeded', result: CHILD_ANSWER },
        { agent_id: checker!.id, status: 'succeeded', result: CHECKER_ANSWER },
      ],
    });

    // The token is revoked once the lead ended.
    const after = await h.client.pool.query<{ revoked_at: Date | null }>(
      'select revoked_at from mcp_tokens where task_id = $1',
      [lead.id],
    );
    expect(after.rows[0]!.revoked_at).toBeInstanceOf(Date);

    // The token (its clear prefix stands for it: the token itself exists only in the worker's
    // memory) is in no task event, task row, stored transcript, workspace snapshot or log line.
    const stored: string[] = [];
    const ev = await h.client.pool.query<{ t: string }>('select data::text as t from task_events');
    stored.push(...ev.rows.map((x) => x.t));
    const rows = await h.client.pool.query<{ t: string }>(
      `select concat_ws(' ', prompt, result, error::text, status_reason, options::text) as t from tasks`,
    );
    stored.push(...rows.rows.map((x) => x.t));
    const sessions = await h.client.pool.query<{
      blob: { claudeTranscript?: { gzipBase64: string } } | null;
    }>('select state_blob as blob from claude_sessions');
    let transcripts = 0;
    for (const s of sessions.rows) {
      stored.push(JSON.stringify(s.blob));
      const t = s.blob?.claudeTranscript;
      if (t) {
        transcripts++;
        stored.push(gunzipSync(Buffer.from(t.gzipBase64, 'base64')).toString('utf8'));
      }
    }
    expect(transcripts).toBeGreaterThan(0);
    const wss = await h.client.pool.query<{ files: unknown; archive: Buffer | null }>(
      'select files, archive from task_workspaces',
    );
    for (const w of wss.rows) {
      stored.push(JSON.stringify(w.files));
      if (w.archive) stored.push(gunzipSync(w.archive).toString('latin1'));
    }
    expect(logs.length).toBeGreaterThan(0);
    stored.push(...logs);
    const all = stored.join('\n');
    // The transcript holds the agent's answer (what came back), never the token.
    expect(all).toContain(CHILD_ANSWER);
    expect(all).not.toContain(`baton_mcp_${token.prefix}`);
    expect(all).not.toContain(token.prefix);
    expect(all).not.toMatch(/baton_mcp_[A-Za-z0-9_-]{43}/);
    expect(mcpErrors).toEqual([]);
  });
});
