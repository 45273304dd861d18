/**
 * Bearer tokens of Baton's MCP server (`mcp_tokens`). A token is `baton_mcp_` followed by 43
 * base64url characters (32 random bytes); only its SHA-256 (hex) is stored, with its first random
 * characters (`prefix`) to tell tokens apart in a list. The MCP adapter authenticates each request
 * here, then calls the procedures with the principal as `ctx.mcp`.
 */
import type { Database } from '@baton/db/client';
import { hashMcpToken, MCP_TOKEN_SHAPE, newMcpToken } from '@baton/db/mcp-tokens';
import { sql } from 'drizzle-orm';
import type { McpPrincipal } from './trpc';

export {
  hashMcpToken,
  MCP_TOKEN_PREFIX,
  MCP_TOKEN_PREFIX_LENGTH,
  type MintedMcpToken,
} from '@baton/db/mcp-tokens';

/** A fresh token (the format and hash are @baton/db/mcp-tokens': one source for api and worker). */
export const mintMcpToken = newMcpToken;

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
  if (!MCP_TOKEN_SHAPE.test(token)) return null;
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
