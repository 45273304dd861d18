/**
 * Bearer tokens of Baton's MCP server (`mcp_tokens`). A token is `baton_mcp_` followed by 43
 * base64url characters (32 random bytes); only its SHA-256 (hex) is stored, with its first random
 * characters (`prefix`) to tell tokens apart in a list. The MCP adapter authenticates each request
 * here, then calls the procedures with the principal as `ctx.mcp`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '@baton/db/client';
import { sql } from 'drizzle-orm';
import type { McpPrincipal } from './trpc';

/** What every token starts with (so secret scanners and people can recognise one). */
export const MCP_TOKEN_PREFIX = 'baton_mcp_';
/** Random characters of a token kept in clear (`mcp_tokens.prefix`), to tell tokens apart. */
export const MCP_TOKEN_PREFIX_LENGTH = 12;
const TOKEN_SHAPE = /^baton_mcp_[A-Za-z0-9_-]{43}$/;

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

/** A fresh token from 32 random bytes. */
export function mintMcpToken(): MintedMcpToken {
  const token = `${MCP_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    token,
    hash: hashMcpToken(token),
    prefix: token.slice(MCP_TOKEN_PREFIX.length, MCP_TOKEN_PREFIX.length + MCP_TOKEN_PREFIX_LENGTH),
  };
}

/**
 * The principal a bearer token stands for, or null when it is no live token: unknown, revoked,
 * expired, or created by someone who is no longer a member of its team. Marks the token used in
 * the same statement. `bearer` is the token itself or a whole `Authorization` header value.
 * The lookup is by hash, so no comparison of secrets happens here.
 */
export async function authenticateMcpToken(
  db: Database,
  bearer: string | null | undefined,
): Promise<McpPrincipal | null> {
  if (!bearer) return null;
  const token = bearer.replace(/^Bearer\s+/i, '').trim();
  if (!TOKEN_SHAPE.test(token)) return null;
  const result = await db.execute<{
    id: string;
    team_id: string;
    created_by: string | null;
    root_task_id: string | null;
    task_id: string | null;
  }>(sql`
    update mcp_tokens t set last_used_at = now()
     where t.token_hash = ${hashMcpToken(token)}
       and t.revoked_at is null
       and (t.expires_at is null or t.expires_at > now())
       and (t.created_by is null or exists (
             select 1 from memberships m where m.team_id = t.team_id and m.user_id = t.created_by))
    returning t.id, t.team_id, t.created_by, t.root_task_id, t.task_id`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    tokenId: row.id,
    teamId: row.team_id,
    userId: row.created_by,
    rootTaskId: row.root_task_id,
    taskId: row.task_id,
  };
}

/**
 * The principal of a local stdio server run as a configured team (`baton mcp --team <slug>`, by
 * whoever holds the instance's database URL, like the CLI's other commands): the team's first
 * owner acts (their user caps apply). Its `tokenId` is `stdio:<team id>`, no row of `mcp_tokens`.
 * Null when there is no such team or it has no owner.
 */
export async function teamMcpPrincipal(db: Database, slug: string): Promise<McpPrincipal | null> {
  const result = await db.execute<{ team_id: string; user_id: string }>(sql`
    select t.id as team_id, m.user_id
      from teams t join memberships m on m.team_id = t.id and m.role = 'owner'
     where t.slug = ${slug}
     order by m.created_at, m.user_id
     limit 1`);
  const row = result.rows[0];
  if (!row) return null;
  return {
    tokenId: `stdio:${row.team_id}`,
    teamId: row.team_id,
    userId: row.user_id,
    rootTaskId: null,
    taskId: null,
  };
}
