/**
 * Team repositories through tRPC, against real git: a bare repository made with
 * `git init --bare` and filled by a push, under an allowed root passed explicitly.
 */
import path from 'node:path';
import { teamRepositories } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoots } from '../src/env';
import type { AuthSession } from '../src/trpc';
import { makeRepoFixture, type RepoFixture } from './git-fixture';
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
let fx: RepoFixture;
let admin: AuthSession;
let member: AuthSession;
let viewer: AuthSession;
let teamId: string;
let otherTeamId: string;

const as = (s: AuthSession, roots = [fx.root]) => callerFor(h, s, { repoRoots: roots });

beforeAll(async () => {
  h = await setupHarness();
  fx = makeRepoFixture();
  admin = await makeUser(h, 'Ada Admin');
  member = await makeUser(h, 'Mo Member');
  viewer = await makeUser(h, 'Vi Viewer');
  teamId = await makeTeam(h, 'repos', [
    [admin, 'admin'],
    [member, 'member'],
    [viewer, 'viewer'],
  ]);
  otherTeamId = await makeTeam(h, 'repos-other', [[admin, 'owner']]);
});

afterAll(async () => {
  fx?.cleanup();
  await h?.close();
});

async function addError(input: { name: string; source: string; defaultRef?: string }) {
  const api = await as(admin);
  return fieldErrorOf(await rejection(api.repository.add({ teamId, ...input })));
}

describe('repository.add', () => {
  it('registers a local bare repository by its real path, resolving the default ref', async () => {
    const api = await as(admin);
    // Typed through a detour (./ and a trailing slash): stored as the real path.
    const typed = `  ${fx.root}/./app.git/  `;
    const repo = await api.repository.add({
      teamId,
      name: 'app',
      source: typed,
      defaultRef: 'main',
    });
    expect(repo).toMatchObject({
      name: 'app',
      source: fx.app.path,
      defaultRef: 'main',
      commit: fx.app.main,
    });
    const [row] = await h.client.db
      .select()
      .from(teamRepositories)
      .where(eq(teamRepositories.id, repo.id));
    expect(row).toMatchObject({ teamId, source: fx.app.path, createdBy: admin.user.id });
  });

  it('defaults the ref to HEAD, and stores a URL as typed (trimmed)', async () => {
    const api = await as(admin);
    const head = await api.repository.add({ teamId, name: 'app-head', source: fx.app.path });
    expect(head).toMatchObject({ defaultRef: 'HEAD', commit: fx.app.main });
    const blank = await api.repository.add({
      teamId,
      name: 'app-blank',
      source: fx.app.path,
      defaultRef: '  ',
    });
    expect(blank.defaultRef).toBe('HEAD');
    // A full commit id on a remote is taken as given (checked when a worker clones), so this
    // needs no network.
    const sha = 'a'.repeat(40);
    const url = await api.repository.add({
      teamId,
      name: 'remote',
      source: '  https://git.example.invalid/Org/Repo.git  ',
      defaultRef: sha,
    });
    expect(url).toMatchObject({
      source: 'https://git.example.invalid/Org/Repo.git',
      defaultRef: sha,
      commit: sha,
    });
  });

  it('refuses a bad name', async () => {
    for (const name of ['Bad Name', 'UPPER', '-dash', '.dot', 'x'.repeat(64), 'a/b']) {
      expect(await addError({ name, source: fx.app.path })).toEqual({
        code: 'BAD_REQUEST',
        field: 'name',
        message: 'Lowercase letters, digits, . _ - (up to 63).',
      });
    }
  });

  it('refuses credentials in a URL', async () => {
    for (const source of [
      'https://user:secret@git.example.invalid/r.git',
      'https://token@git.example.invalid/r.git',
    ]) {
      const e = await addError({ name: 'creds', source });
      expect(e).toMatchObject({ code: 'BAD_REQUEST', field: 'source' });
      expect(e.message).toMatch(/Credentials in a repository URL are not stored/);
    }
    expect(
      await h.client.db.select().from(teamRepositories).where(eq(teamRepositories.name, 'creds')),
    ).toEqual([]);
  });

  it('refuses ssh, scp-like, ext:: and file:// sources', async () => {
    expect(await addError({ name: 'ssh', source: 'ssh://git@git.example.invalid/r.git' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'source',
      message: 'Use an https://, http:// or git:// URL (ssh is not allowed).',
    });
    for (const source of ['git@github.com:org/r.git', 'ext::sh -c touch% /tmp/pwned']) {
      expect(await addError({ name: 'other', source })).toEqual({
        code: 'BAD_REQUEST',
        field: 'source',
        message: 'Use an https://, http:// or git:// URL, or an absolute path.',
      });
    }
    expect((await addError({ name: 'file', source: `file://${fx.app.path}` })).field).toBe(
      'source',
    );
  });

  it('refuses a relative path, "..", a path outside the roots and a link leading out', async () => {
    expect(await addError({ name: 'rel', source: 'allowed/app.git' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'source',
      message: 'A local repository is an absolute path (starting with /).',
    });
    expect(
      await addError({ name: 'dots', source: `${fx.root}/../elsewhere/secret.git` }),
    ).toMatchObject({ field: 'source', message: 'A path may not contain "..".' });
    const outside = await addError({ name: 'outside', source: fx.outside.path });
    expect(outside).toMatchObject({ code: 'BAD_REQUEST', field: 'source' });
    expect(outside.message).toMatch(/is outside the folders local repositories may come from/);
    // The link lies inside the root; its target does not.
    const link = await addError({ name: 'sneaky', source: fx.link });
    expect(link).toMatchObject({ code: 'BAD_REQUEST', field: 'source' });
    expect(link.message).toMatch(/is outside the folders local repositories may come from/);
    expect(await addError({ name: 'missing', source: path.join(fx.root, 'nope.git') })).toEqual({
      code: 'BAD_REQUEST',
      field: 'source',
      message: `${path.join(fx.root, 'nope.git')} does not exist on the workers.`,
    });
    expect(await addError({ name: 'plain', source: fx.plain })).toEqual({
      code: 'BAD_REQUEST',
      field: 'source',
      message: `${fx.plain} is not a git repository.`,
    });
  });

  it('refuses every local path when no root exists', async () => {
    const api = await as(admin, [path.join(fx.tmp, 'no-such-root')]);
    const e = fieldErrorOf(
      await rejection(api.repository.add({ teamId, name: 'noroot', source: fx.app.path })),
    );
    expect(e).toMatchObject({ field: 'source' });
    expect(e.message).toMatch(/Local repositories are not allowed on this instance/);
  });

  it('refuses a ref the repository does not have, or an invalid one, on defaultRef', async () => {
    expect(await addError({ name: 'noref', source: fx.app.path, defaultRef: 'nope' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'defaultRef',
      message: 'No ref "nope" in the repository.',
    });
    expect(
      await addError({ name: 'badref', source: fx.app.path, defaultRef: '--upload-pack=x' }),
    ).toEqual({
      code: 'BAD_REQUEST',
      field: 'defaultRef',
      message: '"--upload-pack=x" is not a valid git ref.',
    });
  });

  it('maps an unreachable remote to the source field', async () => {
    const e = await addError({ name: 'gone', source: 'git://127.0.0.1:1/none.git' });
    expect(e).toMatchObject({ code: 'BAD_REQUEST', field: 'source' });
    expect(e.message).toMatch(/^The repository could not be reached: /);
  });

  it('refuses a duplicate name in the team with CONFLICT, allows it in another team', async () => {
    const e = await addError({ name: 'app', source: fx.app.path });
    expect(e).toEqual({
      code: 'CONFLICT',
      field: 'name',
      message: 'A repository named "app" already exists in this team.',
    });
    const api = await as(admin);
    await expect(
      api.repository.add({ teamId: otherTeamId, name: 'app', source: fx.app.path }),
    ).resolves.toMatchObject({ name: 'app' });
  });

  it('is for admins: members and viewers are refused', async () => {
    for (const who of [member, viewer]) {
      const api = await as(who);
      const err = await rejection(
        api.repository.add({ teamId, name: 'mine', source: fx.app.path }),
      );
      expect(err.code).toBe('FORBIDDEN');
    }
  });
});

describe('repository.list and repository.remove', () => {
  it('lists the team’s repositories by name to any member', async () => {
    const api = await as(viewer);
    const list = await api.repository.list({ teamId });
    expect(list.map((r) => r.name)).toEqual(['app', 'app-blank', 'app-head', 'remote']);
    expect(Object.keys(list[0]!).sort()).toEqual(
      ['createdAt', 'defaultRef', 'id', 'name', 'source'].sort(),
    );
    expect(list[0]).toMatchObject({ source: fx.app.path, defaultRef: 'main' });
  });

  it('removes one (admins only); an unknown or another team’s id is NOT_FOUND', async () => {
    const api = await as(admin);
    const [blank] = (await api.repository.list({ teamId })).filter((r) => r.name === 'app-blank');
    const memberErr = await rejection(
      (await as(member)).repository.remove({ teamId, repositoryId: blank!.id }),
    );
    expect(memberErr.code).toBe('FORBIDDEN');
    expect(await api.repository.remove({ teamId, repositoryId: blank!.id })).toEqual({
      deleted: blank!.id,
      name: 'app-blank',
    });
    const again = fieldErrorOf(
      await rejection(api.repository.remove({ teamId, repositoryId: blank!.id })),
    );
    expect(again).toEqual({
      code: 'NOT_FOUND',
      field: 'repositoryId',
      message: 'Repository not found.',
    });
    const [other] = await api.repository.list({ teamId: otherTeamId });
    const cross = await rejection(api.repository.remove({ teamId, repositoryId: other!.id }));
    expect(cross.code).toBe('NOT_FOUND');
    expect((await api.repository.list({ teamId: otherTeamId })).length).toBe(1);
  });
});

describe('repository.checkRef', () => {
  it('answers the commit of a branch, a tag, a commit id and the default ref', async () => {
    const api = await as(member);
    expect(await api.repository.checkRef({ teamId, repository: 'app', ref: 'feature' })).toEqual({
      commit: fx.app.feature,
      ref: 'feature',
    });
    expect(await api.repository.checkRef({ teamId, repository: 'app', ref: 'v1' })).toEqual({
      commit: fx.app.v1,
      ref: 'v1',
    });
    expect(
      await api.repository.checkRef({ teamId, repository: 'app', ref: fx.app.v1.slice(0, 10) }),
    ).toMatchObject({ commit: fx.app.v1 });
    expect(await api.repository.checkRef({ teamId, repository: 'app' })).toEqual({
      commit: fx.app.main,
      ref: 'main',
    });
  });

  it('names the field: an unknown repository, a missing or invalid ref', async () => {
    const api = await as(member);
    expect(
      fieldErrorOf(
        await rejection(api.repository.checkRef({ teamId, repository: 'ghost', ref: 'main' })),
      ),
    ).toEqual({
      code: 'BAD_REQUEST',
      field: 'repository',
      message: 'No repository named "ghost" in this team.',
    });
    expect(
      fieldErrorOf(
        await rejection(api.repository.checkRef({ teamId, repository: 'app', ref: 'nope' })),
      ),
    ).toEqual({ code: 'BAD_REQUEST', field: 'ref', message: 'No ref "nope" in the repository.' });
    expect(
      fieldErrorOf(
        await rejection(api.repository.checkRef({ teamId, repository: 'app', ref: 'a..b' })),
      ),
    ).toEqual({ code: 'BAD_REQUEST', field: 'ref', message: '"a..b" is not a valid git ref.' });
  });

  it('reports a repository whose path left the allowed roots on the repository field', async () => {
    const api = await as(member, [path.join(fx.tmp, 'elsewhere')]);
    const e = fieldErrorOf(
      await rejection(api.repository.checkRef({ teamId, repository: 'app', ref: 'main' })),
    );
    expect(e).toMatchObject({ code: 'BAD_REQUEST', field: 'repository' });
    expect(e.message).toMatch(/is outside the folders local repositories may come from/);
  });

  it('is for members: a viewer is refused', async () => {
    const err = await rejection(
      (await as(viewer)).repository.checkRef({ teamId, repository: 'app', ref: 'main' }),
    );
    expect(err.code).toBe('FORBIDDEN');
  });
});

describe('BATON_REPOS_DIRS', () => {
  it('is a :-separated list, defaulting to <BATON_DATA_DIR>/repos', () => {
    expect(repositoryRoots({ BATON_REPOS_DIRS: '/srv/git::/data/repos' })).toEqual([
      '/srv/git',
      '/data/repos',
    ]);
    expect(repositoryRoots({ BATON_DATA_DIR: '/var/lib/baton' })).toEqual(['/var/lib/baton/repos']);
    // Relative data directories resolve against the checkout root, as @baton/db's dataDir().
    const root = path.resolve(import.meta.dirname, '../../..');
    expect(repositoryRoots({}, import.meta.dirname)).toEqual([path.join(root, '.baton', 'repos')]);
    expect(repositoryRoots({ BATON_DATA_DIR: 'data' }, import.meta.dirname)).toEqual([
      path.join(root, 'data', 'repos'),
    ]);
  });
});
