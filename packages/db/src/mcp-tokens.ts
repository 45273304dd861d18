/**
 * Bearer tokens of Baton's MCP server (`mcp_tokens`): the one definition of their format, how they
 * are made and hashed, and the task-scoped tokens the worker mints for a Claude Code task.
 *
 * A token is `baton_mcp_` followed by 43 base64url characters (32 random bytes); only its SHA-256
 * (hex) is stored, with its first random characters (`prefix`) to tell tokens apart in a list.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/** What every token starts with (so secret scanners and people can recognise one). */
export const MCP_TOKEN_PREFIX = 'baton_mcp_';
/** Random characters of a token kept in clear (`mcp_tokens.prefix`), to tell tokens apart. */
export const MCP_TOKEN_PREFIX_LENGTH = 12;
/** The whole shape of a token: anything else is no token (refused before any lookup). */
export const MCP_TOKEN_SHAPE = /^baton_mcp_[A-Za-z0-9_-]{43}$/;

export interface MintedMcpToken {
  /** The token itself: shown once, never stored. */
  token: string;
  /** SHA-256 of the token, hex (what `mcp_tokens.token_hash` holds). */
  hash: string;
  /** The first random characters, stored in clear. */
  prefix: string;
}

/** The hash a token is stored and looked up by. */
export function hashMcpToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The random characters of a token kept in clear. */
export function mcpTokenPrefix(token: string): string {
  return token.slice(MCP_TOKEN_PREFIX.length, MCP_TOKEN_PREFIX.length + MCP_TOKEN_PREFIX_LENGTH);
}

/** A fresh token from 32 random bytes, with its hash and prefix. */
export function newMcpToken(): MintedMcpToken {
  const token = `${MCP_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashMcpToken(token), prefix: mcpTokenPrefix(token) };
}

/** Limits of the tree made around a task that has none (see `ensureTaskTree`). */
export interface TaskTreeLimits {
  maxAgents: number;
  maxDepth: number;
  maxConcurrent: number;
  budgetUsd: number | null;
  budgetTokens: number | null;
}

/**
 * The root of the agent tree `taskId` is in. A task outside any tree becomes the root of a new
 * one (`limits`), as a spawn under it would make it: a task-scoped token then sees that tree and
 * nothing else of the team (the MCP server's queue scopes a caller by its root, and a caller
 * without one sees the whole team). Concurrent callers agree on one tree (the first one wins).
 */
export async function ensureTaskTree(
  pool: pg.Pool,
  o: { taskId: string; teamId: string; limits: TaskTreeLimits },
): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ root_task_id: string }>(
      `update tasks set root_task_id = coalesce(root_task_id, id),
                        updated_at = case when root_task_id is null then now() else updated_at end
        where id = $1 and team_id = $2
        returning root_task_id`,
      [o.taskId, o.teamId],
    );
    const row = rows[0];
    if (!row) throw new Error(`task ${o.taskId} of team ${o.teamId} does not exist`);
    if (row.root_task_id === o.taskId) {
      const l = o.limits;
      await client.query(
        `insert into task_trees (root_task_id, team_id, strategy, max_agents, max_depth,
                                 max_concurrent, budget_usd, budget_tokens)
         values ($1, $2, 'hierarchical', $3, $4, $5, $6::numeric, $7::bigint)
         on conflict (root_task_id) do nothing`,
        [
          o.taskId,
          o.teamId,
          l.maxAgents,
          l.maxDepth,
          l.maxConcurrent,
          l.budgetUsd === null ? null : l.budgetUsd.toFixed(6),
          l.budgetTokens,
        ],
      );
    }
    await client.query('commit');
    return row.root_task_id;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** The name a task's token is listed under. */
export function taskTokenName(taskId: string): string {
  return `task ${taskId.slice(0, 8)}`;
}

/**
 * A token that speaks for one task (`task_id`) inside its tree (`root_task_id`): the MCP server
 * lets it act only there, as `createdBy`. Returns the token itself; only its hash is stored.
 */
export async function mintTaskMcpToken(
  pool: pg.Pool,
  o: {
    teamId: string;
    taskId: string;
    rootTaskId: string | null;
    createdBy: string | null;
    expiresAt: Date | null;
  },
): Promise<string> {
  const minted = newMcpToken();
  await pool.query(
    `insert into mcp_tokens (team_id, name, token_hash, prefix, created_by, root_task_id, task_id, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      o.teamId,
      taskTokenName(o.taskId),
      minted.hash,
      minted.prefix,
      o.createdBy,
      o.rootTaskId,
      o.taskId,
      o.expiresAt,
    ],
  );
  return minted.token;
}

/** Revokes the live tokens of a task (its next MCP request is refused); returns how many. */
export async function revokeTaskMcpTokens(pool: pg.Pool, taskId: string): Promise<number> {
  const { rowCount } = await pool.query(
    `update mcp_tokens set revoked_at = now() where task_id = $1 and revoked_at is null`,
    [taskId],
  );
  return rowCount ?? 0;
}
