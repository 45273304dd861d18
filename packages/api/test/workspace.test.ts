/**
 * A task's workspace: task.workspace (the row without the archive's bytes, plus the task's
 * effective policy) and workspaceDownload (the archive, or one regular file out of it — never
 * a symlink — for members of the task's team only). The archive is a real .tar.gz made with
 * the `tar` package, as the worker makes it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tasks, taskWorkspaces, teams } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSession } from '../src/trpc';
import { workspaceDownload } from '../src/workspace-download';
import { callerFor, type Harness, makeTeam, makeUser, rejection, setupHarness } from './harness';

let h: Harness;
let viewer: AuthSession;
let outsider: AuthSession;
let teamId: string;
let otherTeamId: string;
let taskId: string;
let bareTaskId: string;
let noArchiveTaskId: string;
let otherTaskId: string;
let archive: Buffer;

const HELLO = 'hello from the workspace\n';
const BINARY = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);

async function makeArchive(): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-api-ws-'));
  try {
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src', 'hello.txt'), HELLO);
    writeFileSync(path.join(dir, 'data.bin'), BINARY);
    // One link to a file that is in the archive, one to a file of the host.
    symlinkSync('src/hello.txt', path.join(dir, 'link-inside'));
    symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    const chunks: Buffer[] = [];
    const stream = tar.create({ gzip: true, cwd: dir, portable: true, follow: false }, ['.']);
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function insertTask(team: string, options: Record<string, unknown> = {}) {
  const [t] = await h.client.db
    .insert(tasks)
    .values({
      teamId: team,
      prompt: 'edit files',
      model: 'claude-sonnet-5',
      backend: 'claude-code',
      status: 'succeeded',
      options,
    })
    .returning();
  return t!.id;
}

const SANDBOX = {
  mode: 'bubblewrap' as const,
  worker: 'w-1',
  limits: { memoryBytes: 2 ** 31 },
  tools: ['Read', 'Bash'],
  permissionMode: 'acceptEdits',
};

beforeAll(async () => {
  h = await setupHarness();
  viewer = await makeUser(h, 'Viewer');
  outsider = await makeUser(h, 'Outsider');
  teamId = await makeTeam(h, 'ws', [[viewer, 'viewer']]);
  otherTeamId = await makeTeam(h, 'ws-other', [[outsider, 'owner']]);
  // The team narrowed its tools after the task ran.
  await h.client.db
    .update(teams)
    .set({ claudeCodeTools: ['Read', 'Grep', 'Bash'], claudeCodePermissionMode: 'plan' })
    .where(eq(teams.id, teamId));
  archive = await makeArchive();
  taskId = await insertTask(teamId, { tools: ['Read', 'Write', 'Bash'], ref: 'main' });
  bareTaskId = await insertTask(teamId);
  noArchiveTaskId = await insertTask(teamId);
  otherTaskId = await insertTask(otherTeamId);
  await h.client.db.insert(taskWorkspaces).values([
    {
      taskId,
      teamId,
      repositoryName: 'app',
      ref: 'main',
      baseCommit: 'c0ffee'.padEnd(40, '0'),
      workerId: 'w-1',
      sandbox: SANDBOX,
      sizeBytes: 1234,
      fileCount: 4,
      files: [
        { path: 'src/hello.txt', status: 'added', size: HELLO.length, type: 'file' },
        { path: 'passwd', status: 'added', size: 11, type: 'symlink' },
      ],
      diff: 'diff --git a/src/hello.txt b/src/hello.txt\n+hello\n',
      archive,
      archiveBytes: archive.length,
    },
    {
      taskId: noArchiveTaskId,
      teamId,
      workerId: 'w-2',
      sandbox: { mode: 'off', worker: 'w-2' },
      archiveNote: 'the workspace is larger than the 64 MiB archive limit',
    },
    { taskId: otherTaskId, teamId: otherTeamId, workerId: 'w-1', sandbox: SANDBOX, archive },
  ]);
});

afterAll(async () => {
  await h?.close();
});

describe('task.workspace', () => {
  it('returns the row without the archive bytes, plus the effective tools and mode', async () => {
    const ws = await (await callerFor(h, viewer)).task.workspace({ teamId, taskId });
    expect(ws).not.toBeNull();
    expect(Object.keys(ws!).sort()).toEqual(
      [
        'repositoryName',
        'ref',
        'baseCommit',
        'workerId',
        'sandbox',
        'sizeBytes',
        'fileCount',
        'files',
        'filesTruncated',
        'diff',
        'diffTruncated',
        'hasArchive',
        'archiveBytes',
        'archiveNote',
        'createdAt',
        'updatedAt',
        'removedAt',
        'tools',
        'permissionMode',
      ].sort(),
    );
    expect(ws).toMatchObject({
      repositoryName: 'app',
      ref: 'main',
      workerId: 'w-1',
      sandbox: SANDBOX,
      sizeBytes: 1234,
      fileCount: 4,
      filesTruncated: false,
      diffTruncated: false,
      hasArchive: true,
      archiveBytes: archive.length,
      archiveNote: null,
      removedAt: null,
      // The task asked for Read, Write, Bash; the team allows Read, Grep, Bash now.
      tools: ['Read', 'Bash'],
      permissionMode: 'plan',
    });
    expect(ws!.files).toHaveLength(2);
    const wire = JSON.stringify(ws);
    expect(wire).not.toContain(archive.subarray(0, 16).toString('base64'));
    expect(wire.length).toBeLessThan(2_000);
  });

  it('is null before a worker made one; the team’s tools when the task named none', async () => {
    const api = await callerFor(h, viewer);
    expect(await api.task.workspace({ teamId, taskId: bareTaskId })).toBeNull();
    expect(await api.task.workspace({ teamId, taskId: noArchiveTaskId })).toMatchObject({
      hasArchive: false,
      archiveBytes: null,
      archiveNote: 'the workspace is larger than the 64 MiB archive limit',
      tools: ['Read', 'Grep', 'Bash'],
      permissionMode: 'plan',
    });
  });

  it('another team’s task is NOT_FOUND', async () => {
    const err = await rejection(
      (await callerFor(h, viewer)).task.workspace({ teamId, taskId: otherTaskId }),
    );
    expect(err.code).toBe('NOT_FOUND');
  });
});

describe('workspaceDownload', () => {
  const download = (userId: string, id: string, p?: string) =>
    workspaceDownload(h.client.db, { userId, taskId: id, path: p });
  const refusal = async (userId: string, id: string, p?: string) => {
    const err = await rejection(download(userId, id, p));
    return { code: (err as { code?: string }).code, message: err.message };
  };

  it('serves the whole archive to any member', async () => {
    const d = await download(viewer.user.id, taskId);
    expect(d).toEqual({
      filename: `task-${taskId.slice(0, 8)}-workspace.tar.gz`,
      contentType: 'application/gzip',
      body: archive,
    });
  });

  it('serves one regular file, by its path with or without ./', async () => {
    const d = await download(viewer.user.id, taskId, 'src/hello.txt');
    expect(d.filename).toBe('hello.txt');
    expect(d.contentType).toBe('application/octet-stream');
    expect(d.body.toString('utf8')).toBe(HELLO);
    expect((await download(viewer.user.id, taskId, './src/hello.txt')).body.toString()).toBe(HELLO);
    expect((await download(viewer.user.id, taskId, 'data.bin')).body).toEqual(BINARY);
  });

  it('never serves a symlink (inside or out), a directory or a missing path', async () => {
    for (const p of ['link-inside', 'passwd', 'src', 'src/', 'nope.txt', '/src/hello.txt', '']) {
      expect(await refusal(viewer.user.id, taskId, p)).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(await refusal(viewer.user.id, taskId, 'passwd')).toEqual({
      code: 'NOT_FOUND',
      message: 'No file "passwd" in the workspace.',
    });
  });

  it('is NOT_FOUND for a non-member, an unknown task and a malformed id, with one message', async () => {
    const notFound = { code: 'NOT_FOUND', message: 'Task not found.' };
    expect(await refusal(outsider.user.id, taskId)).toEqual(notFound);
    expect(await refusal(outsider.user.id, taskId, 'src/hello.txt')).toEqual(notFound);
    expect(await refusal(viewer.user.id, randomUUID())).toEqual(notFound);
    expect(await refusal(viewer.user.id, 'not-a-uuid')).toEqual(notFound);
    expect(await refusal('', taskId)).toEqual(notFound);
    // Their own team's task is theirs to download.
    expect((await download(outsider.user.id, otherTaskId)).body).toEqual(archive);
  });

  it('says why there is no archive, and when there is no workspace', async () => {
    expect(await refusal(viewer.user.id, noArchiveTaskId)).toEqual({
      code: 'NOT_FOUND',
      message:
        'There is no archive of this workspace: the workspace is larger than the 64 MiB archive limit.',
    });
    expect(await refusal(viewer.user.id, noArchiveTaskId, 'src/hello.txt')).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await refusal(viewer.user.id, bareTaskId)).toEqual({
      code: 'NOT_FOUND',
      message: 'This task has no workspace (yet).',
    });
  });
});
