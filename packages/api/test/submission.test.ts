/**
 * task.submit with workspaces: the field errors (the same ones `prepareTaskSubmission` gives
 * the CLI) and what a valid task stores in `tasks.options`, against a real bare repository.
 */
import { createBoss, type PgBoss } from '@baton/db/queue';
import { tasks, teamRepositories, teams } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors';
import { addRepository } from '../src/repositories';
import { CWD_REMOVED_MESSAGE, prepareTaskSubmission } from '../src/submission';
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
let boss: PgBoss;
let fx: RepoFixture;
let member: AuthSession;
let teamId: string;
let repoId: string;

const as = (s: AuthSession) => callerFor(h, s, { repoRoots: [fx.root], boss: async () => boss });

const CC = { prompt: 'Fix the bug', backend: 'claude-code', model: 'claude-sonnet-5' } as const;

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 2 });
  fx = makeRepoFixture();
  member = await makeUser(h, 'Member');
  teamId = await makeTeam(h, 'submit', [[member, 'member']]);
  const repo = await addRepository(
    h.client.db,
    teamId,
    { name: 'app', source: fx.app.path, defaultRef: 'main' },
    { repoRoots: [fx.root] },
  );
  repoId = repo.id;
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  fx?.cleanup();
  await h?.close();
});

async function submitError(input: Record<string, unknown>) {
  const api = await as(member);
  return fieldErrorOf(
    await rejection(
      api.task.submit({ teamId, ...CC, ...input } as Parameters<typeof api.task.submit>[0]),
    ),
  );
}

describe('task.submit refuses, naming the field', () => {
  it('any cwd, whatever its value', async () => {
    for (const cwd of ['/tmp/work', '/', 'relative', '', null, 42]) {
      expect(await submitError({ cwd })).toEqual({
        code: 'BAD_REQUEST',
        field: 'cwd',
        message: CWD_REMOVED_MESSAGE,
      });
      expect(await submitError({ backend: 'api', model: 'claude-haiku-4-5', cwd })).toMatchObject({
        field: 'cwd',
      });
    }
    expect(CWD_REMOVED_MESSAGE).toBe(
      'Free-form working directories are gone: every claude-code task runs in a workspace of its own. Name a team repository to work on a clone of it.',
    );
  });

  it('an unknown repository', async () => {
    expect(await submitError({ repository: 'ghost' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'repository',
      message: 'No repository named "ghost" in this team.',
    });
  });

  it('a ref the repository lacks, an invalid ref, and a ref without a repository', async () => {
    expect(await submitError({ repository: 'app', ref: 'nope' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'ref',
      message: 'No ref "nope" in the repository.',
    });
    expect(await submitError({ repository: 'app', ref: 'main..x' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'ref',
      message: '"main..x" is not a valid git ref.',
    });
    expect(await submitError({ ref: 'main' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'ref',
      message: 'A ref needs a repository: name the team repository to check it out from.',
    });
  });

  it('a repository whose default ref is gone', async () => {
    await h.client.db
      .insert(teamRepositories)
      .values({ teamId, name: 'stale', source: fx.app.path, defaultRef: 'deleted-branch' });
    expect(await submitError({ repository: 'stale' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'ref',
      message: 'No ref "deleted-branch" in the repository.',
    });
  });

  it('repository, ref or tools on an api task', async () => {
    const api = { backend: 'api', model: 'claude-haiku-4-5' };
    expect(await submitError({ ...api, repository: 'app' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'repository',
      message: 'A repository applies to the claude-code backend only.',
    });
    expect(await submitError({ ...api, ref: 'main' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'ref',
      message: 'A ref applies to the claude-code backend only.',
    });
    expect(await submitError({ ...api, tools: ['Read'] })).toEqual({
      code: 'BAD_REQUEST',
      field: 'tools',
      message: 'Tools apply to the claude-code backend only.',
    });
    expect(await submitError({ ...api, mcp: true })).toEqual({
      code: 'BAD_REQUEST',
      field: 'mcp',
      message: "Baton's MCP server in the session applies to the claude-code backend only.",
    });
    expect(await submitError({ mcp: 'yes' })).toMatchObject({ field: 'mcp' });
  });

  it('tools the team does not allow, named', async () => {
    expect(await submitError({ tools: ['Read', 'WebSearch', 'Teleport'] })).toEqual({
      code: 'BAD_REQUEST',
      field: 'tools',
      message:
        'Not allowed for this team: WebSearch, Teleport. It allows Read, Write, Edit, Glob, Grep, Bash.',
    });
    expect(await submitError({ tools: [] })).toMatchObject({ field: 'tools' });
  });

  it('stores nothing when refused', async () => {
    const rows = await h.client.db.select().from(tasks).where(eq(tasks.teamId, teamId));
    expect(rows).toEqual([]);
  });
});

describe('task.submit stores the workspace options', () => {
  async function optionsOf(input: Record<string, unknown>) {
    const api = await as(member);
    const { id } = await api.task.submit({ teamId, ...CC, ...input });
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, id));
    return row!.options;
  }

  it('an empty workspace: no repository, no tools', async () => {
    expect(await optionsOf({})).toEqual({});
    expect(await optionsOf({ maxTurns: 3, repository: '', ref: '  ' })).toEqual({ maxTurns: 3 });
  });

  it("Baton's MCP server in the session (mcp: true only)", async () => {
    expect(await optionsOf({ mcp: true })).toEqual({ mcp: true });
    expect(await optionsOf({ mcp: false })).toEqual({});
  });

  it('a repository at its default ref', async () => {
    expect(await optionsOf({ repository: 'app' })).toEqual({ repositoryId: repoId, ref: 'main' });
  });

  it('a repository at a ref as typed, with the narrowed tools and maxTurns', async () => {
    expect(
      await optionsOf({
        repository: 'app',
        ref: ' v1 ',
        tools: ['Bash', 'Read', 'Bash'],
        maxTurns: 7,
      }),
    ).toEqual({ repositoryId: repoId, ref: 'v1', tools: ['Read', 'Bash'], maxTurns: 7 });
    expect(await optionsOf({ repository: 'app', ref: fx.app.feature })).toEqual({
      repositoryId: repoId,
      ref: fx.app.feature,
    });
  });
});

describe('prepareTaskSubmission (what the CLI calls)', () => {
  it('returns the submitTask arguments, and throws the same field errors as tRPC', async () => {
    const [team] = await h.client.db.select().from(teams).where(eq(teams.id, teamId));
    const prepared = await prepareTaskSubmission(
      h.client.db,
      team!,
      { ...CC, repository: 'app', ref: 'feature', tools: ['Grep'], priority: 3 },
      { repoRoots: [fx.root] },
    );
    expect(prepared).toEqual({
      teamId,
      createdBy: null,
      title: null,
      prompt: 'Fix the bug',
      backend: 'claude-code',
      model: 'claude-sonnet-5',
      fallbackModels: [],
      options: { repositoryId: repoId, ref: 'feature', tools: ['Grep'] },
      priority: 3,
      budgetUsd: null,
      timeoutMs: null,
      teamQuota: 4,
    });
    const refused = async (input: Record<string, unknown>) => {
      try {
        await prepareTaskSubmission(
          h.client.db,
          team!,
          { ...CC, ...input },
          { repoRoots: [fx.root] },
        );
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        const e = err as AppError;
        return { code: e.code, field: e.meta?.field, message: e.message };
      }
      throw new Error('expected a refusal');
    };
    expect(await refused({ cwd: '/srv' })).toEqual({
      code: 'BAD_REQUEST',
      field: 'cwd',
      message: CWD_REMOVED_MESSAGE,
    });
    expect(await refused({ repository: 'ghost' })).toMatchObject({
      field: 'repository',
      message: 'No repository named "ghost" in this team.',
    });
    // Schema problems too, with every issue listed.
    expect(await refused({ prompt: ' ', priority: 1000 })).toEqual({
      code: 'BAD_REQUEST',
      field: 'prompt',
      message: 'Write a prompt.',
    });
  });
});
