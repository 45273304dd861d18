import { createHash } from 'node:crypto';
import { mcpTokens, memberships } from '@baton/db/schema';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticateMcpToken,
  hashMcpToken,
  mintMcpToken,
  teamMcpPrincipal,
} from '../src/mcp-auth';
import type { AuthSession } from '../src/trpc';
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
let admin: AuthSession;
let member: AuthSession;
let other: AuthSession;
let teamId: string;
let otherTeamId: string;

beforeAll(async () => {
  h = await setupHarness();
  admin = await makeUser(h, 'Ada Admin');
  member = await makeUser(h, 'Max Member');
  other = await makeUser(h, 'Olga Other');
  teamId = await makeTeam(h, 'tokens', [
    [admin, 'admin'],
    [member, 'member'],
  ]);
  otherTeamId = await makeTeam(h, 'tokens-other', [[other, 'owner']]);
});

afterAll(async () => {
  await h?.close();
});

describe('minting', () => {
  it('is baton_mcp_ and 43 base64url characters, stored as its SHA-256', () => {
    const a = mintMcpToken();
    const b = mintMcpToken();
    expect(a.token).toMatch(/^baton_mcp_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(createHash('sha256').update(a.token).digest('hex'));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.prefix).toBe(a.token.slice(10, 22));
    expect(a.prefix).toHaveLength(12);
  });
});

describe('mcpToken router', () => {
  it('creates a token once, stores only its hash, and authenticates it', async () => {
    const caller = await callerFor(h, admin);
    const created = await caller.mcpToken.create({ teamId, name: '  laptop  ' });
    expect(created.name).toBe('laptop');
    expect(created.token).toMatch(/^baton_mcp_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(10, 22));

    const [row] = await h.client.db.select().from(mcpTokens).where(eq(mcpTokens.id, created.id));
    expect(row!.tokenHash).toBe(hashMcpToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(row!.lastUsedAt).toBeNull();

    const principal = await authenticateMcpToken(h.client.db, `Bearer ${created.token}`);
    expect(principal).toEqual({
      tokenId: created.id,
      teamId,
      userId: admin.user.id,
      rootTaskId: null,
      taskId: null,
    });
    const listed = await caller.mcpToken.list({ teamId });
    const entry = listed.find((t) => t.id === created.id)!;
    expect(entry.createdBy).toBe('Ada Admin');
    expect(entry.lastUsedAt).toBeInstanceOf(Date);
    expect(entry.revokedAt).toBeNull();
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain(row!.tokenHash);
  });

  it('refuses an unknown, malformed, revoked or expired token', async () => {
    const caller = await callerFor(h, admin);
    expect(await authenticateMcpToken(h.client.db, null)).toBeNull();
    expect(await authenticateMcpToken(h.client.db, 'Bearer nope')).toBeNull();
    expect(await authenticateMcpToken(h.client.db, mintMcpToken().token)).toBeNull();

    const created = await caller.mcpToken.create({ teamId, name: 'to revoke' });
    expect(await authenticateMcpToken(h.client.db, created.token)).not.toBeNull();
    const revoked = await caller.mcpToken.revoke({ teamId, tokenId: created.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await authenticateMcpToken(h.client.db, created.token)).toBeNull();
    // Revoking again keeps the first revocation.
    const again = await caller.mcpToken.revoke({ teamId, tokenId: created.id });
    expect(again.revokedAt.getTime()).toBe(revoked.revokedAt.getTime());

    const expiring = await caller.mcpToken.create({ teamId, name: 'expired' });
    await h.client.db
      .update(mcpTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(mcpTokens.id, expiring.id));
    expect(await authenticateMcpToken(h.client.db, expiring.token)).toBeNull();
  });

  it('a token dies with its creator’s membership', async () => {
    const teamB = await makeTeam(h, 'tokens-leaver', [[member, 'admin']]);
    const caller = await callerFor(h, member);
    const created = await caller.mcpToken.create({ teamId: teamB, name: 'leaver' });
    expect((await authenticateMcpToken(h.client.db, created.token))?.teamId).toBe(teamB);
    await h.client.db
      .delete(memberships)
      .where(and(eq(memberships.teamId, teamB), eq(memberships.userId, member.user.id)));
    expect(await authenticateMcpToken(h.client.db, created.token)).toBeNull();
  });

  it('is for admins of the team only', async () => {
    const asMember = await callerFor(h, member);
    expect((await rejection(asMember.mcpToken.create({ teamId, name: 'x' }))).code).toBe(
      'FORBIDDEN',
    );
    expect((await rejection(asMember.mcpToken.list({ teamId }))).code).toBe('FORBIDDEN');
    const outsider = await callerFor(h, other);
    expect((await rejection(outsider.mcpToken.list({ teamId }))).code).toBe('NOT_FOUND');

    // Another team's token cannot be revoked through this team.
    const theirs = await outsider.mcpToken.create({ teamId: otherTeamId, name: 'theirs' });
    const asAdmin = await callerFor(h, admin);
    const err = await rejection(asAdmin.mcpToken.revoke({ teamId, tokenId: theirs.id }));
    expect(fieldErrorOf(err)).toMatchObject({ code: 'NOT_FOUND', field: 'tokenId' });
    expect(await authenticateMcpToken(h.client.db, theirs.token)).not.toBeNull();
  });

  it('names the field of a bad name', async () => {
    const caller = await callerFor(h, admin);
    for (const [name, message] of [
      ['   ', 'Name the token.'],
      ['x'.repeat(101), 'Keep the name to 100 characters.'],
    ] as const) {
      const err = await rejection(caller.mcpToken.create({ teamId, name }));
      expect(fieldErrorOf(err)).toEqual({ code: 'BAD_REQUEST', field: 'name', message });
    }
  });
});

describe('teamMcpPrincipal (stdio, as a configured team)', () => {
  it('acts as the team’s owner; no team or no owner is no principal', async () => {
    expect(await teamMcpPrincipal(h.client.db, 'tokens-other')).toEqual({
      tokenId: `stdio:${otherTeamId}`,
      teamId: otherTeamId,
      userId: other.user.id,
      rootTaskId: null,
      taskId: null,
    });
    // 'tokens' has an admin and a member but no owner.
    expect(await teamMcpPrincipal(h.client.db, 'tokens')).toBeNull();
    expect(await teamMcpPrincipal(h.client.db, 'no-such-team')).toBeNull();
  });
});
