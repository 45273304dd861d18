import { invitations, memberships } from '@baton/db/schema';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashInvitationToken } from '../src/router/invitation';
import type { AuthSession } from '../src/trpc';
import { callerFor, type Harness, makeTeam, makeUser, rejection, setupHarness } from './harness';

let h: Harness;
let owner: AuthSession;
let admin: AuthSession;
let member: AuthSession;
let teamId: string;

async function roleOf(userId: string, team = teamId) {
  const [row] = await h.client.db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, team), eq(memberships.userId, userId)));
  return row?.role ?? null;
}

beforeAll(async () => {
  h = await setupHarness();
  owner = await makeUser(h, 'Owner');
  admin = await makeUser(h, 'Admin');
  member = await makeUser(h, 'Member');
  teamId = await makeTeam(h, 'invites', [
    [owner, 'owner'],
    [admin, 'admin'],
    [member, 'member'],
  ]);
});

afterAll(async () => {
  await h?.close();
});

describe('invitations by link', () => {
  it('an admin creates a link; only its hash is stored; someone signed in joins with its role, once', async () => {
    const created = await (await callerFor(h, admin)).invitation.create({
      teamId,
      role: 'viewer',
      expiresInHours: 48,
    });
    expect(created.path).toBe(`/invite/${created.token}`);
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hoursLeft = (created.expiresAt.getTime() - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(47.9);
    expect(hoursLeft).toBeLessThanOrEqual(48);

    const [stored] = await h.client.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, created.id));
    expect(stored!.tokenHash).toBe(hashInvitationToken(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);
    // The list never shows the token again.
    const listed = await (await callerFor(h, member)).invitation.list({ teamId });
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, role: 'viewer', status: 'pending' }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const joiner = await makeUser(h, 'Joiner');
    const api = await callerFor(h, joiner);
    // Not a member yet: the team itself is not visible.
    expect((await rejection(api.team.get({ teamId }))).code).toBe('NOT_FOUND');
    const preview = await api.invitation.preview({ token: created.token });
    expect(preview).toMatchObject({
      teamName: 'INVITES',
      role: 'viewer',
      status: 'pending',
      teamId: null,
      forEmail: null,
    });
    expect(await api.invitation.accept({ token: created.token })).toEqual({
      teamId,
      role: 'viewer',
      joined: true,
    });
    expect(await roleOf(joiner.user.id)).toBe('viewer');
    expect((await api.team.get({ teamId })).role).toBe('viewer');
    // Accepting again as the same member is harmless.
    expect(await api.invitation.accept({ token: created.token })).toMatchObject({ joined: false });

    // Single use: anyone else is refused.
    const late = await makeUser(h, 'Late');
    const second = await rejection(
      (await callerFor(h, late)).invitation.accept({ token: created.token }),
    );
    expect(second.code).toBe('CONFLICT');
    expect(await roleOf(late.user.id)).toBeNull();
    const after = await (await callerFor(h, owner)).invitation.list({ teamId });
    expect(after.find((i) => i.id === created.id)).toMatchObject({
      status: 'accepted',
      acceptedByName: 'Joiner',
      createdByName: 'Admin',
    });
  });

  it('two people racing for one link: exactly one joins', async () => {
    const { token } = await (await callerFor(h, owner)).invitation.create({
      teamId,
      role: 'member',
    });
    const racers = await Promise.all([makeUser(h, 'Racer 1'), makeUser(h, 'Racer 2')]);
    const results = await Promise.allSettled(
      racers.map(async (r) => (await callerFor(h, r)).invitation.accept({ token })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const roles = await Promise.all(racers.map((r) => roleOf(r.user.id)));
    expect(roles.filter((r) => r === 'member')).toHaveLength(1);
    expect(roles.filter((r) => r === null)).toHaveLength(1);
  });

  it('refuses revoked, expired, unknown and other-email links', async () => {
    const adminApi = await callerFor(h, admin);
    const outsider = await makeUser(h, 'Outsider');
    const api = await callerFor(h, outsider);

    const revoked = await adminApi.invitation.create({ teamId, role: 'member' });
    await adminApi.invitation.revoke({ teamId, invitationId: revoked.id });
    expect((await api.invitation.preview({ token: revoked.token })).status).toBe('revoked');
    const r1 = await rejection(api.invitation.accept({ token: revoked.token }));
    expect(r1.code).toBe('FORBIDDEN');
    expect(r1.message).toMatch(/revoked/);

    const expired = await adminApi.invitation.create({ teamId, role: 'member' });
    await h.client.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.id, expired.id));
    const r2 = await rejection(api.invitation.accept({ token: expired.token }));
    expect(r2.code).toBe('FORBIDDEN');
    expect(r2.message).toMatch(/expired/);

    const unknown = await rejection(
      api.invitation.accept({ token: 'A'.repeat(43) }), // well-formed, never issued
    );
    expect(unknown.code).toBe('NOT_FOUND');

    const forSomeoneElse = await adminApi.invitation.create({
      teamId,
      role: 'member',
      email: 'Someone.Else@Example.test',
    });
    expect(forSomeoneElse.email).toBe('someone.else@example.test');
    expect((await api.invitation.preview({ token: forSomeoneElse.token })).forEmail).toBe(
      'someone.else@example.test',
    );
    expect((await rejection(api.invitation.accept({ token: forSomeoneElse.token }))).code).toBe(
      'FORBIDDEN',
    );
    expect(await roleOf(outsider.user.id)).toBeNull();

    // A used invitation cannot be revoked; a revoked one stays revoked.
    const used = await adminApi.invitation.create({ teamId, role: 'viewer' });
    const user = await makeUser(h, 'Used');
    await (await callerFor(h, user)).invitation.accept({ token: used.token });
    expect(
      (await rejection(adminApi.invitation.revoke({ teamId, invitationId: used.id }))).code,
    ).toBe('CONFLICT');
  });

  it('admins cannot invite owners; owners can; members and viewers cannot invite at all', async () => {
    const r = await rejection(
      (await callerFor(h, admin)).invitation.create({ teamId, role: 'owner' }),
    );
    expect(r.code).toBe('FORBIDDEN');
    expect((r.cause as { meta?: { field?: string } }).meta?.field).toBe('role');
    const inv = await (await callerFor(h, owner)).invitation.create({ teamId, role: 'owner' });
    expect(inv.role).toBe('owner');
    expect(
      (
        await rejection(
          (await callerFor(h, admin)).invitation.revoke({ teamId, invitationId: inv.id }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (await rejection((await callerFor(h, member)).invitation.create({ teamId, role: 'viewer' })))
        .code,
    ).toBe('FORBIDDEN');
    const bad = await rejection(
      (await callerFor(h, owner)).invitation.create({
        teamId,
        role: 'member',
        email: 'not-an-email',
        expiresInHours: 0,
      }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    const paths = ((bad.cause as { issues: { path: PropertyKey[] }[] }).issues ?? []).map((i) =>
      i.path.join('.'),
    );
    expect(paths).toEqual(expect.arrayContaining(['email', 'expiresInHours']));
  });
});

describe('members: roles and removal', () => {
  it('lists members; admins change roles below owner; only owners touch owners; the last owner stays', async () => {
    const team = await makeTeam(h, 'members', []);
    const o1 = await makeUser(h, 'First Owner');
    const a1 = await makeUser(h, 'An Admin');
    const m1 = await makeUser(h, 'A Member');
    const v1 = await makeUser(h, 'A Viewer');
    for (const [u, role] of [
      [o1, 'owner'],
      [a1, 'admin'],
      [m1, 'member'],
      [v1, 'viewer'],
    ] as const) {
      await h.client.db.insert(memberships).values({ teamId: team, userId: u.user.id, role });
    }
    const ownerApi = await callerFor(h, o1);
    const adminApi = await callerFor(h, a1);
    expect(
      (await (await callerFor(h, v1)).team.members({ teamId: team })).map((m) => m.role),
    ).toEqual(['owner', 'admin', 'member', 'viewer']);

    // Members and viewers only view.
    for (const s of [m1, v1]) {
      const api = await callerFor(h, s);
      expect(
        (await rejection(api.team.setRole({ teamId: team, userId: v1.user.id, role: 'member' })))
          .code,
      ).toBe('FORBIDDEN');
      expect(
        (await rejection(api.team.removeMember({ teamId: team, userId: m1.user.id }))).code,
      ).toBe('FORBIDDEN');
    }

    // An admin manages members, viewers and admins, but not owners.
    expect(
      await adminApi.team.setRole({ teamId: team, userId: v1.user.id, role: 'member' }),
    ).toMatchObject({ role: 'member', previousRole: 'viewer' });
    expect(await roleOf(v1.user.id, team)).toBe('member');
    const makeOwner = await rejection(
      adminApi.team.setRole({ teamId: team, userId: m1.user.id, role: 'owner' }),
    );
    expect(makeOwner.code).toBe('FORBIDDEN');
    expect(
      (await rejection(adminApi.team.setRole({ teamId: team, userId: o1.user.id, role: 'admin' })))
        .code,
    ).toBe('FORBIDDEN');
    expect(
      (await rejection(adminApi.team.removeMember({ teamId: team, userId: o1.user.id }))).code,
    ).toBe('FORBIDDEN');
    expect(await roleOf(o1.user.id, team)).toBe('owner');

    // The last owner can neither be demoted nor removed, not even by themself.
    const lastDemote = await rejection(
      ownerApi.team.setRole({ teamId: team, userId: o1.user.id, role: 'admin' }),
    );
    expect(lastDemote.code).toBe('CONFLICT');
    expect(lastDemote.message).toMatch(/at least one owner/);
    expect(
      (await rejection(ownerApi.team.removeMember({ teamId: team, userId: o1.user.id }))).code,
    ).toBe('CONFLICT');

    // With a second owner, the first may step down.
    await ownerApi.team.setRole({ teamId: team, userId: a1.user.id, role: 'owner' });
    expect(await roleOf(a1.user.id, team)).toBe('owner');
    await ownerApi.team.setRole({ teamId: team, userId: o1.user.id, role: 'admin' });
    expect(await roleOf(o1.user.id, team)).toBe('admin');
    // …and is now an admin: cannot remove the remaining owner.
    expect(
      (
        await rejection(
          (await callerFor(h, o1)).team.removeMember({ teamId: team, userId: a1.user.id }),
        )
      ).code,
    ).toBe('FORBIDDEN');

    // Removal: the removed member loses access at once.
    await (await callerFor(h, a1)).team.removeMember({ teamId: team, userId: m1.user.id });
    expect(await roleOf(m1.user.id, team)).toBeNull();
    expect((await rejection((await callerFor(h, m1)).team.get({ teamId: team }))).code).toBe(
      'NOT_FOUND',
    );
    // Someone who is not a member.
    const nobody = await rejection(
      (await callerFor(h, a1)).team.removeMember({ teamId: team, userId: m1.user.id }),
    );
    expect(nobody.code).toBe('NOT_FOUND');
  });

  it('two owners demoting each other at once: one of them stays owner', async () => {
    const team = await makeTeam(h, 'duel', []);
    const p = await makeUser(h, 'P');
    const q = await makeUser(h, 'Q');
    for (const u of [p, q])
      await h.client.db
        .insert(memberships)
        .values({ teamId: team, userId: u.user.id, role: 'owner' });
    const results = await Promise.allSettled([
      (await callerFor(h, p)).team.setRole({ teamId: team, userId: q.user.id, role: 'member' }),
      (await callerFor(h, q)).team.setRole({ teamId: team, userId: p.user.id, role: 'member' }),
    ]);
    const roles = [await roleOf(p.user.id, team), await roleOf(q.user.id, team)];
    expect(roles.filter((r) => r === 'owner')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
