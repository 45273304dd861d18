/**
 * Task-scoped MCP tokens as the worker mints them: the one token format, the stored hash and
 * prefix (never the token), the tree a task outside any is made the root of, and revocation.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ensureTaskTree,
  hashMcpToken,
  MCP_TOKEN_SHAPE,
  mcpTokenPrefix,
  mintTaskMcpToken,
  newMcpToken,
  revokeTaskMcpTokens,
} from './mcp-tokens';
import { createPool } from './pool';
import { createTestDatabase, type TestDatabase } from './testing';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
const team = randomUUID();
const limits = { maxAgents: 5, maxDepth: 1, maxConcurrent: 2, budgetUsd: 1.5, budgetTokens: null };

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 4 });
  await pool.query(`insert into teams (id, name, slug) values ($1, 'Tok', 'tok')`, [team]);
  await pool.query(`insert into users (id, name, email) values ('ann', 'Ann', 'ann@t.test')`);
});
afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

async function task(rootTaskId: string | null = null): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `insert into tasks (id, team_id, prompt, model, root_task_id, depth, created_by)
     values ($1, $2, 'p', 'claude-sonnet-4-5', $3, $4, 'ann')`,
    [id, team, rootTaskId, rootTaskId ? 1 : 0],
  );
  return id;
}

describe('token format', () => {
  it('is baton_mcp_ and 43 base64url characters; hash is its SHA-256, prefix its first 12', () => {
    const a = newMcpToken();
    const b = newMcpToken();
    expect(a.token).toMatch(MCP_TOKEN_SHAPE);
    expect(a.token).toHaveLength(10 + 43);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(hashMcpToken(a.token));
    // Known vector: SHA-256 of the empty string.
    expect(hashMcpToken('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(a.prefix).toBe(a.token.slice(10, 22));
    expect(mcpTokenPrefix(a.token)).toBe(a.prefix);
  });
});

describe('ensureTaskTree', () => {
  it('makes a task outside any tree the root of a new one with the given limits, once', async () => {
    const id = await task();
    expect(await ensureTaskTree(pool, { taskId: id, teamId: team, limits })).toBe(id);
    expect(await ensureTaskTree(pool, { taskId: id, teamId: team, limits })).toBe(id);
    const { rows } = await pool.query(
      `select t.root_task_id, tr.max_agents, tr.max_depth, tr.max_concurrent, tr.budget_usd::text as budget, tr.agents
         from tasks t join task_trees tr on tr.root_task_id = t.root_task_id where t.id = $1`,
      [id],
    );
    expect(rows).toEqual([
      {
        root_task_id: id,
        max_agents: 5,
        max_depth: 1,
        max_concurrent: 2,
        budget: '1.500000',
        agents: 1,
      },
    ]);
  });

  it("keeps a task's tree when it has one (no new tree)", async () => {
    const root = await task();
    await ensureTaskTree(pool, { taskId: root, teamId: team, limits });
    const child = await task(root);
    expect(await ensureTaskTree(pool, { taskId: child, teamId: team, limits })).toBe(root);
    const { rows } = await pool.query(`select 1 from task_trees where root_task_id = $1`, [child]);
    expect(rows).toHaveLength(0);
  });

  it("refuses another team's task", async () => {
    const id = await task();
    await expect(
      ensureTaskTree(pool, { taskId: id, teamId: randomUUID(), limits }),
    ).rejects.toThrow(/does not exist/);
  });
});

describe('mintTaskMcpToken / revokeTaskMcpTokens', () => {
  it('stores the hash and prefix, scoped to the task and its tree; revoking ends it', async () => {
    const root = await task();
    await ensureTaskTree(pool, { taskId: root, teamId: team, limits });
    const expiresAt = new Date(Date.now() + 60_000);
    const token = await mintTaskMcpToken(pool, {
      teamId: team,
      taskId: root,
      rootTaskId: root,
      createdBy: 'ann',
      expiresAt,
    });
    expect(token).toMatch(MCP_TOKEN_SHAPE);
    const { rows } = await pool.query(`select * from mcp_tokens where task_id = $1`, [root]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.token_hash).toBe(hashMcpToken(token));
    expect(row.prefix).toBe(mcpTokenPrefix(token));
    expect(row.name).toBe(`task ${root.slice(0, 8)}`);
    expect(row.root_task_id).toBe(root);
    expect(row.created_by).toBe('ann');
    expect(row.team_id).toBe(team);
    expect(new Date(row.expires_at).getTime()).toBe(expiresAt.getTime());
    expect(row.revoked_at).toBeNull();
    // The token itself is in no column.
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(await revokeTaskMcpTokens(pool, root)).toBe(1);
    expect(await revokeTaskMcpTokens(pool, root)).toBe(0);
    const after = await pool.query(`select revoked_at from mcp_tokens where task_id = $1`, [root]);
    expect(after.rows[0].revoked_at).toBeInstanceOf(Date);
  });
});
