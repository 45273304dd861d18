/**
 * Every procedure of the app router, found by walking the router (so a new
 * procedure is covered without touching this file), is called:
 *  - as a member of another team → refused (NOT_FOUND for team procedures,
 *    never data);
 *  - as a viewer → mutations refused (FORBIDDEN), queries allowed;
 *  - signed out → UNAUTHORIZED (except public ones);
 *  - with malformed input → BAD_REQUEST naming a field, never a 500.
 */
import { tasks, taskTrees } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createCaller, createTRPCContext } from '../src/index';
import type { AuthSession } from '../src/trpc';
import { type Harness, makeTeam, makeUser, setupHarness } from './harness';

interface ProcDef {
  _def: { type: 'query' | 'mutation' | 'subscription'; inputs: unknown[] };
}

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, ProcDef>,
).map(([path, p]) => ({ path, type: p._def.type }));

/** Whether a procedure takes any input at all. */
const hasInput = (path: string) =>
  ((appRouter._def.procedures as unknown as Record<string, ProcDef>)[path]?._def.inputs.length ??
    0) > 0;

/** Procedures a signed-in user may call without a team (they only ever see their own data). */
const NOT_TEAM_SCOPED = new Set([
  'system.health',
  'team.list',
  'team.create',
  'task.overview',
  'price.list',
  'system.me',
  // Instance sandbox settings: everyone signed in reads them (no team data in them).
  'system.sandbox',
  // Invitation links: anyone signed in holding a token (an unknown token is NOT_FOUND).
  'invitation.preview',
  'invitation.accept',
  // The caps that apply to the caller's own tasks, in each of their own teams.
  'budget.overview',
  // The provider's model list, Baton's default models, whether the provider is the simulator.
  'model.list',
  'model.defaults',
  'model.provider',
]);

/** Procedures anyone may call signed out (the sign-in page says when the provider is simulated). */
const PUBLIC = new Set(['model.provider']);

/** Changes to what every team shares: only an instance operator, whatever their team role. */
const OPERATOR_ONLY = new Set(['price.add', 'system.setSandbox', 'team.setOperatorSettings']);

/** Queries that act on the team's behalf (they run git against its repositories): members only. */
const MEMBER_QUERIES = new Set(['repository.checkRef']);

/** Queries only a team's admins may make (its MCP tokens, with their last use). */
const ADMIN_QUERIES = new Set(['mcpToken.list']);

let h: Harness;
let viewer: AuthSession;
let outsider: AuthSession;
let teamId: string;
let taskId: string;
let ownerId: string;

const T = new Date('2026-10-01T00:00:00Z');

/** A plausible valid input for each procedure (teamId and taskId from the fixture). */
function validInput(path: string): Record<string, unknown> {
  const base: Record<string, unknown> = { teamId, taskId };
  if (path.startsWith('analytics.')) {
    Object.assign(base, { from: T, to: new Date(T.getTime() + 86_400_000), dataset: 'timeseries' });
  }
  if (path === 'task.submit') Object.assign(base, { prompt: 'x', backend: 'api', model: 'm' });
  if (path === 'team.update') Object.assign(base, { name: 'Renamed' });
  if (path === 'team.create') return { name: 'Fresh' };
  if (path === 'settings.saveCredential')
    Object.assign(base, { label: 'main', apiKey: 'sk-ant-api03-0123456789abcdefghij' });
  if (path === 'settings.deleteCredential' || path === 'settings.deleteAlertRule')
    Object.assign(base, { credentialId: taskId, ruleId: taskId });
  if (path === 'settings.createAlertRule')
    Object.assign(base, { name: 'r', metric: 'error_rate', threshold: 5 });
  if (path === 'invitation.create') Object.assign(base, { role: 'member', expiresInHours: 24 });
  if (path === 'invitation.revoke') Object.assign(base, { invitationId: taskId });
  if (path === 'invitation.preview' || path === 'invitation.accept')
    return { token: 'unknown-token-0123456789abcdefghijklmnop' };
  if (path.startsWith('agent.'))
    Object.assign(base, {
      agent_id: taskId,
      agent_ids: [taskId],
      ...(path === 'agent.list' ? {} : { root_id: taskId }),
      timeout_ms: 0,
      task: 'x',
      message: 'x',
    });
  if (path === 'mcpToken.revoke') Object.assign(base, { tokenId: taskId });
  if (path === 'team.setRole') Object.assign(base, { userId: ownerId, role: 'member' });
  if (path === 'team.removeMember') Object.assign(base, { userId: ownerId });
  if (path === 'repository.add')
    Object.assign(base, { name: 'repo', source: 'https://git.example.invalid/repo.git' });
  if (path === 'repository.remove') Object.assign(base, { repositoryId: taskId });
  if (path === 'repository.checkRef') Object.assign(base, { repository: 'repo', ref: 'main' });
  if (path === 'settings.setClaudeCode')
    Object.assign(base, { tools: ['Read'], permissionMode: 'acceptEdits' });
  if (path === 'budget.set') Object.assign(base, { scope: 'team', period: 'daily', usd: 5 });
  if (path === 'budget.remove') Object.assign(base, { scope: 'team', period: 'daily' });
  if (path === 'team.setOperatorSettings')
    Object.assign(base, { allowInstanceKey: false, shareWeight: 3, maxConcurrentCeiling: 2 });
  if (path === 'system.setSandbox')
    return {
      workspaceRetentionDays: 7,
      taskMemoryMb: 2048,
      taskMaxProcesses: 512,
      taskCpuSeconds: 1800,
      taskDiskMb: 2048,
    };
  if (path === 'price.add')
    return {
      modelPattern: 'claude-x*',
      validFrom: T,
      inputPerMtok: 1,
      cacheWrite5mPerMtok: 1,
      cacheWrite1hPerMtok: 2,
      cacheReadPerMtok: 0.1,
      outputPerMtok: 5,
    };
  return base;
}

async function call(session: AuthSession | null, path: string, input: unknown) {
  const caller = createCaller(
    await createTRPCContext({
      headers: new Headers(),
      client: h.client,
      databaseUrl: h.database.url,
      session,
      boss: () => Promise.reject(new Error('queue must not be reached')),
    }),
  ) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
  const [ns, name] = path.split('.') as [string, string];
  try {
    const result = await caller[ns]![name]!(input);
    if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
      // Subscriptions authorize on the first pull.
      const it = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      const first = await it.next();
      await it.return?.();
      return { ok: true as const, value: first.value };
    }
    return { ok: true as const, value: result };
  } catch (err) {
    return {
      ok: false as const,
      error: err as { code?: string; cause?: unknown; message: string },
    };
  }
}

beforeAll(async () => {
  h = await setupHarness();
  const owner = await makeUser(h, 'Owner');
  ownerId = owner.user.id;
  viewer = await makeUser(h, 'Viewer');
  outsider = await makeUser(h, 'Outsider');
  teamId = await makeTeam(h, 'guarded', [
    [owner, 'owner'],
    [viewer, 'viewer'],
  ]);
  await makeTeam(h, 'outside', [[outsider, 'owner']]);
  const [task] = await h.client.db
    .insert(tasks)
    .values({ teamId, prompt: 'private', model: 'm', status: 'failed' })
    .returning();
  taskId = task!.id;
  // The task is also a tree's root (agent.tree, agent.board read it).
  await h.client.db.update(tasks).set({ rootTaskId: taskId }).where(eq(tasks.id, taskId));
  await h.client.db
    .insert(taskTrees)
    .values({ rootTaskId: taskId, teamId, maxAgents: 8, maxDepth: 2, maxConcurrent: 4 });
});

afterAll(async () => {
  await h?.close();
});

describe('every procedure', () => {
  it('the router has the procedures this test expects to walk', () => {
    expect(procedures.length).toBeGreaterThan(15);
    expect(procedures.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'task.submit',
        'task.watch',
        'analytics.summary',
        'team.update',
        'live.overview',
        'settings.saveCredential',
        'price.add',
        'invitation.create',
        'invitation.revoke',
        'invitation.accept',
        'team.setRole',
        'team.removeMember',
        'repository.list',
        'repository.add',
        'repository.remove',
        'repository.checkRef',
        'settings.claudeCode',
        'settings.setClaudeCode',
        'system.sandbox',
        'system.setSandbox',
        'task.workspace',
        'budget.list',
        'budget.set',
        'budget.remove',
        'budget.overview',
        'team.setOperatorSettings',
      ]),
    );
  });

  it.each(procedures)('$path refuses a member of another team', async ({ path }) => {
    const r = await call(outsider, path, validInput(path));
    if (OPERATOR_ONLY.has(path)) {
      expect(r.ok ? null : r.error.code).toBe('FORBIDDEN');
      return;
    }
    if (NOT_TEAM_SCOPED.has(path)) {
      // Not team-scoped: must not leak the other team.
      if (r.ok) expect(JSON.stringify(r.value)).not.toContain(teamId);
      return;
    }
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.error.code).toBe('NOT_FOUND');
  });

  it.each(procedures)('$path: a viewer may read but not change', async ({ path, type }) => {
    if (NOT_TEAM_SCOPED.has(path)) return;
    const r = await call(viewer, path, validInput(path));
    if (
      type === 'mutation' ||
      OPERATOR_ONLY.has(path) ||
      MEMBER_QUERIES.has(path) ||
      ADMIN_QUERIES.has(path)
    ) {
      expect(r.ok).toBe(false);
      expect(r.ok ? null : r.error.code).toBe('FORBIDDEN');
    } else {
      expect(r.ok ? 'ok' : r.error.message).toBe('ok');
    }
  });

  it.each(procedures)('$path refuses signed-out callers', async ({ path }) => {
    const r = await call(null, path, validInput(path));
    if (PUBLIC.has(path)) {
      // Public: answers, with nothing of any team in it.
      expect(r.ok).toBe(true);
      if (r.ok) expect(JSON.stringify(r.value)).not.toContain(teamId);
      return;
    }
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.error.code).toBe('UNAUTHORIZED');
  });

  it.each(procedures)(
    '$path answers malformed input with a field error, never a 500',
    async ({ path }) => {
      const bad = {
        teamId: 'not-a-uuid',
        taskId: 42,
        from: 'yesterday',
        to: null,
        name: 123,
        prompt: 5,
        status: ['nope'],
        limit: -1,
        latest: 'many',
        dataset: 'nope',
        label: 7,
        apiKey: 'short',
        metric: 'vibes',
        threshold: 'lots',
        credentialId: 'x',
        ruleId: 'x',
        modelPattern: 'Bad Pattern!',
        validFrom: 'never',
        token: 5,
        role: 'king',
        userId: 5,
        invitationId: 'x',
        email: 'nope',
        expiresInHours: -1,
      };
      const r = await call(viewer, path, bad);
      if (r.ok) {
        // Procedures without input ignore it; that is fine, they must not crash.
        return;
      }
      expect(r.error.code).not.toBe('INTERNAL_SERVER_ERROR');
      // Without input there is no field to name: any refusal but a 500 (e.g. no provider key here).
      if (!hasInput(path)) return;
      expect(r.error.code).toBe('BAD_REQUEST');
      const issues = (r.error.cause as { issues?: { path: PropertyKey[] }[] }).issues ?? [];
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.some((i) => i.path.length > 0)).toBe(true);
    },
  );
});
