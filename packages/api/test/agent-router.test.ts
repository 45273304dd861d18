/**
 * The agent procedures as both of their callers reach them: a signed-in member (teamId in the
 * input) and an MCP principal (the token's team; a given teamId must be it). Real PostgreSQL and
 * pg-boss; no worker runs, so spawned agents stay queued.
 */
import { createBoss, type PgBoss } from '@baton/db/queue';
import { mcpTokens, tasks } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, createTRPCContext } from '../src/index';
import { authenticateMcpToken, mintMcpToken } from '../src/mcp-auth';
import type { AgentWaitEvent } from '../src/router/agent';
import type { AuthSession, McpPrincipal } from '../src/trpc';
import {
  callerFor,
  fieldErrorOf,
  type Harness,
  makeTeam,
  makeUser,
  rejection,
  setupHarness,
} from './harness';

let h: Harness;
let boss: PgBoss;
let admin: AuthSession;
let viewer: AuthSession;
let teamId: string;
let otherTeamId: string;
let principal: McpPrincipal;
let otherPrincipal: McpPrincipal;

async function asMcp(p: McpPrincipal) {
  return createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.database.url,
      session: null,
      mcp: p,
      boss: async () => boss,
    }),
  );
}

async function drain(it: AsyncIterable<AgentWaitEvent>): Promise<AgentWaitEvent[]> {
  const out: AgentWaitEvent[] = [];
  for await (const event of it) out.push(event);
  return out;
}

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 2 });
  admin = await makeUser(h, 'Ann Admin');
  viewer = await makeUser(h, 'Vic Viewer');
  const other = await makeUser(h, 'Oz Other');
  teamId = await makeTeam(h, 'agents', [
    [admin, 'admin'],
    [viewer, 'viewer'],
  ]);
  otherTeamId = await makeTeam(h, 'agents-other', [[other, 'admin']]);
  const mine = await (await callerFor(h, admin)).mcpToken.create({ teamId, name: 'mcp' });
  const theirs = await (await callerFor(h, other)).mcpToken.create({
    teamId: otherTeamId,
    name: 'mcp',
  });
  principal = (await authenticateMcpToken(h.client.db, mine.token))!;
  otherPrincipal = (await authenticateMcpToken(h.client.db, theirs.token))!;
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await h?.close();
});

describe('agent procedures through an MCP principal', () => {
  it('spawns into the token’s team, created by the token’s creator', async () => {
    const caller = await asMcp(principal);
    const spawned = await caller.agent.spawn({ task: 'Summarise the README', role: 'scout' });
    expect(spawned.status).toBe('queued');
    expect(spawned.depth).toBe(0);
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, spawned.agentId));
    expect(row).toMatchObject({
      teamId,
      createdBy: admin.user.id,
      prompt: 'Summarise the README',
      role: 'scout',
      status: 'queued',
    });

    const status = await caller.agent.status({ agent_id: spawned.agentId });
    expect(status).toMatchObject({ agentId: spawned.agentId, role: 'scout', status: 'queued' });
    const result = await caller.agent.result({ agent_id: spawned.agentId });
    expect(result).toMatchObject({ status: 'queued', result: null, costUsd: 0 });
    const listed = await caller.agent.list({});
    expect(listed.map((a) => a.agentId)).toContain(spawned.agentId);
    const transcript = await caller.agent.transcript({ agent_id: spawned.agentId });
    expect(transcript.agent.agentId).toBe(spawned.agentId);
    expect(transcript.events).toEqual([]);
  });

  it('waits within the timeout, reporting a queued agent as timed out', async () => {
    const caller = await asMcp(principal);
    const { agentId } = await caller.agent.spawn({ task: 'Wait for me' });
    const started = Date.now();
    const events = await drain(await caller.agent.wait({ agent_ids: [agentId], timeout_ms: 300 }));
    const elapsed = Date.now() - started;
    const done = events.at(-1)!;
    expect(done.kind).toBe('done');
    expect(done.kind === 'done' && done.timedOut).toBe(true);
    expect(done.agents.map((a) => [a.agentId, a.status])).toEqual([[agentId, 'queued']]);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  it('cancels an agent', async () => {
    const caller = await asMcp(principal);
    const { agentId } = await caller.agent.spawn({ task: 'Cancel me' });
    const cancelled = await caller.agent.cancel({ agent_id: agentId });
    expect(cancelled.cancelled).toBe(1);
    const events = await drain(await caller.agent.wait({ agent_ids: [agentId], timeout_ms: 2000 }));
    const done = events.at(-1)!;
    expect(done.kind === 'done' && done.timedOut).toBe(false);
    expect(done.agents[0]!.status).toBe('cancelled');
  });

  it('refuses another team: a teamId not the token’s, an agent of another team', async () => {
    const caller = await asMcp(principal);
    const err = await rejection(caller.agent.list({ teamId: otherTeamId }));
    expect(fieldErrorOf(err)).toMatchObject({ code: 'FORBIDDEN', field: 'teamId' });
    // The token's own team given explicitly is fine.
    await expect(caller.agent.list({ teamId })).resolves.toBeInstanceOf(Array);

    const { agentId } = await caller.agent.spawn({ task: 'Mine only' });
    const theirs = await asMcp(otherPrincipal);
    expect((await rejection(theirs.agent.status({ agent_id: agentId }))).code).toBe('NOT_FOUND');
    expect((await rejection(theirs.agent.cancel({ agent_id: agentId }))).code).toBe('NOT_FOUND');
    expect((await rejection(theirs.agent.transcript({ agent_id: agentId }))).code).toBe(
      'NOT_FOUND',
    );
    const waitErr = await rejection(
      drain(await theirs.agent.wait({ agent_ids: [agentId], timeout_ms: 100 })),
    );
    expect(waitErr.message).toContain('not found');
    expect((await theirs.agent.list({})).map((a) => a.agentId)).not.toContain(agentId);
  });

  it('names the field of malformed input', async () => {
    const caller = await asMcp(principal);
    const cases: [() => Promise<unknown>, string][] = [
      [() => caller.agent.spawn({ task: '   ' }), 'task'],
      [() => caller.agent.spawn({ task: 'x', budget_usd: -1 }), 'budget_usd'],
      // Below what six decimals hold (it would be stored as $0): the case the property found.
      [() => caller.agent.spawn({ task: 'x', budget_usd: 5e-324 }), 'budget_usd'],
      [
        () =>
          caller.agent.coordinate({
            goal: 'g',
            strategy: 'mesh',
            agents: [{ role: 'r', instructions: 'i' }],
            budget_usd: 5e-324,
          }),
        'budget_usd',
      ],
      [() => caller.agent.wait({ agent_ids: [] }), 'agent_ids'],
      [
        () => caller.agent.wait({ agent_ids: [principal.tokenId], timeout_ms: 600_001 }),
        'timeout_ms',
      ],
      [() => caller.agent.sendInput({ agent_id: 'nope', message: 'hi' }), 'agent_id'],
    ];
    for (const [call, field] of cases) {
      const err = await rejection(call());
      expect(fieldErrorOf(err)).toMatchObject({ code: 'BAD_REQUEST', field });
    }
  });
});

describe('a task’s own token', () => {
  it('acts inside its tree only: spawns its task’s children, sees nothing outside', async () => {
    const team = await asMcp(principal);
    const lead = await team.agent.spawn({ task: 'Lead the run' });
    const outside = await team.agent.spawn({ task: 'Another run' });
    const minted = mintMcpToken();
    await h.client.db.insert(mcpTokens).values({
      teamId,
      name: 'task token',
      tokenHash: minted.hash,
      prefix: minted.prefix,
      createdBy: admin.user.id,
      rootTaskId: lead.rootId,
      taskId: lead.agentId,
    });
    const taskPrincipal = (await authenticateMcpToken(h.client.db, minted.token))!;
    expect(taskPrincipal).toMatchObject({ rootTaskId: lead.rootId, taskId: lead.agentId });
    const asTask = await asMcp(taskPrincipal);

    const child = await asTask.agent.spawn({ task: 'Help the lead' });
    expect(child).toMatchObject({ rootId: lead.rootId, depth: 1, status: 'queued' });
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, child.agentId));
    expect(row!.parentTaskId).toBe(lead.agentId);

    expect((await rejection(asTask.agent.status({ agent_id: outside.agentId }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await rejection(asTask.agent.cancel({ agent_id: outside.agentId }))).code).toBe(
      'NOT_FOUND',
    );
    const visible = (await asTask.agent.list({})).map((a) => a.agentId).sort();
    expect(visible).toEqual([lead.agentId, child.agentId].sort());
    // No new tree beside its own: coordinate is the team's, not a task's.
    const run = {
      goal: 'Escape the budget',
      strategy: 'hierarchical' as const,
      agents: [{ role: 'r', instructions: 'i' }],
      budget_usd: 1,
    };
    expect(await rejection(asTask.agent.coordinate(run))).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('spawn_agent'),
    });
    const started = await team.agent.coordinate(run);
    expect(started).toMatchObject({ status: 'queued', strategy: 'hierarchical' });
  });
});

describe('agent procedures for a signed-in user', () => {
  it('needs the team, and a member to spawn', async () => {
    const asAdmin = await callerFor(h, admin, { boss: async () => boss });
    const missing = await rejection(asAdmin.agent.list({}));
    expect(fieldErrorOf(missing)).toMatchObject({ code: 'BAD_REQUEST', field: 'teamId' });
    const spawned = await asAdmin.agent.spawn({ teamId, task: 'From the console' });
    expect(spawned.status).toBe('queued');

    const asViewer = await callerFor(h, viewer, { boss: async () => boss });
    expect((await rejection(asViewer.agent.spawn({ teamId, task: 'no' }))).code).toBe('FORBIDDEN');
    expect((await asViewer.agent.status({ teamId, agent_id: spawned.agentId })).status).toBe(
      'queued',
    );
    const signedOut = await callerFor(h, null);
    expect((await rejection(signedOut.agent.list({ teamId }))).code).toBe('UNAUTHORIZED');
  });
});

describe('the configuration acts on agents and on defaults', () => {
  const configured = async (multi: Record<string, unknown>, claudeModel?: string) => {
    const { loadConfig } = await import('@baton/core');
    const config = loadConfig({
      config: {
        multi_agent: multi as never,
        ...(claudeModel ? { claudeCode: { model: claudeModel } } : {}),
      },
      env: {},
    });
    return createCaller(
      await createTRPCContext({
        headers: new Headers(),
        client: h.client,
        databaseUrl: h.database.url,
        session: null,
        mcp: principal,
        boss: async () => boss,
        config,
      }),
    );
  };

  it('multi_agent.enabled false refuses a spawn; its limits are a new tree’s', async () => {
    const off = await configured({ enabled: false });
    expect(await rejection(off.agent.spawn({ task: 'anything' }))).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('multi_agent.enabled'),
    });
    const small = await configured({ max_agents: 2, max_depth: 1, max_concurrent: 1 });
    const root = await small.agent.spawn({ task: 'lead' });
    const tree = await small.agent.tree({ root_id: root.rootId });
    expect(tree.limits).toMatchObject({ maxAgents: 2, maxDepth: 1, maxConcurrent: 1 });
    await small.agent.spawn({ task: 'one', parent_id: root.agentId });
    expect(
      await rejection(small.agent.spawn({ task: 'two', parent_id: root.agentId })),
    ).toMatchObject({ message: expect.stringContaining('2') });
  });

  it("a task that names no model gets the configuration's: claudeCode.model for claude-code", async () => {
    const api = await configured({}, 'claude-opus-4-6');
    const cc = await api.agent.spawn({ task: 'code', backend: 'claude-code' });
    const plain = await api.agent.spawn({ task: 'chat', backend: 'api' });
    const rows = await h.client.db
      .select({ id: tasks.id, model: tasks.model })
      .from(tasks)
      .where(eq(tasks.rootTaskId, cc.rootId));
    expect(rows.find((r) => r.id === cc.agentId)?.model).toBe('claude-opus-4-6');
    const [p] = await h.client.db
      .select({ model: tasks.model })
      .from(tasks)
      .where(eq(tasks.id, plain.agentId));
    const { DEFAULT_MODEL } = await import('@baton/core');
    expect(p?.model).toBe(DEFAULT_MODEL);
  });
});
