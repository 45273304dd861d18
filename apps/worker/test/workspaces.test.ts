/**
 * What a legitimate claude-code task does in its workspace, through the real Claude Code in the
 * sandbox: it writes and edits files and runs a small script; a team-repository task works on a
 * clone at the requested ref and its change is the diff the console shows.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { submitTask } from '@baton/db/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { terminalTask } from './wait';

const MODEL = 'claude-opus-5-5';
let h: WorkerHarness;
let dir: string;
let bare: string;
let v1: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'a',
      GIT_AUTHOR_EMAIL: 'a@x',
      GIT_COMMITTER_NAME: 'a',
      GIT_COMMITTER_EMAIL: 'a@x',
    },
    stdio: 'pipe',
  })
    .toString()
    .trim();

const tool = (name: string, input: Record<string, unknown>) => ({
  content: [{ type: 'tool_use' as const, name, input }],
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'baton-ws-e2e-'));
  chmodSync(dir, 0o711);
  mkdirSync(path.join(dir, 'repos'));
  bare = path.join(dir, 'repos', 'app.git');
  git(dir, 'init', '--bare', '--initial-branch=main', bare);
  const src = path.join(dir, 'src');
  git(dir, 'clone', bare, src);
  writeFileSync(path.join(src, 'greeting.txt'), 'hello v1\n');
  git(src, 'add', '.');
  git(src, 'commit', '-m', 'v1');
  git(src, 'tag', 'v1');
  v1 = git(src, 'rev-parse', 'HEAD');
  writeFileSync(path.join(src, 'greeting.txt'), 'hello v2\n');
  git(src, 'commit', '-am', 'v2');
  git(src, 'push', 'origin', 'main', '--tags');

  h = await startWorkerHarness({
    team: { name: 'Workspaces', slug: 'workspaces' },
    seed: 3,
    apiKey: 'sk-ws',
    concurrency: 2,
    queue: { retryLimit: 1, retryDelaySeconds: 1 },
    sandbox: {
      mode: 'required',
      workspacesDir: path.join(dir, 'workspaces'),
      reposDirs: [path.join(dir, 'repos')],
    },
  });
  h.sim.configure({
    scenario: {
      scenarios: [
        {
          name: 'legit',
          turns: [
            tool('Write', { file_path: '/workspace/notes.md', content: '# Notes\n\ndraft\n' }),
            tool('Read', { file_path: '/workspace/notes.md' }),
            tool('Edit', {
              file_path: '/workspace/notes.md',
              old_string: 'draft',
              new_string: 'final',
            }),
            tool('Write', {
              file_path: '/workspace/count.sh',
              content: '#!/bin/sh\nwc -l < notes.md > lines.txt\necho counted\n',
            }),
            tool('Bash', {
              command: 'sh count.sh && cat lines.txt',
              description: 'run the script',
            }),
            { content: [{ type: 'text' as const, text: 'notes written' }] },
          ],
        },
        {
          name: 'repo-edit',
          turns: [
            tool('Read', { file_path: '/workspace/greeting.txt' }),
            tool('Edit', {
              file_path: '/workspace/greeting.txt',
              old_string: 'hello v1',
              new_string: 'hello from the task',
            }),
            tool('Bash', {
              command: 'git status --short && git log --oneline | wc -l',
              description: 'status',
            }),
            { content: [{ type: 'text' as const, text: 'greeting changed' }] },
          ],
        },
      ],
    },
  });
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function results(taskId: string) {
  const { rows } = await h.client.pool.query<{ data: { content: string; isError: boolean } }>(
    `select data from task_events where task_id = $1 and type = 'tool_result' order by seq`,
    [taskId],
  );
  return rows.map((r) => r.data);
}

describe('claude-code workspaces', () => {
  it('a task writes and edits files and runs a script in its workspace; the archive holds them', async () => {
    const t = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: '[[scenario:legit]] write notes',
      backend: 'claude-code',
      model: MODEL,
    });
    const done = await terminalTask(h.client.pool, t.id, 90_000);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'succeeded',
      result: 'notes written',
    });
    const r = await results(t.id);
    expect(r.map((x) => x.isError)).toEqual([false, false, false, false, false]);
    expect(r[4]!.content).toMatch(/counted\n3/);
    const { rows } = await h.client.pool.query<{
      files: Array<{ path: string; status: string; size: number }>;
      archive: Buffer;
      size_bytes: string;
      sandbox: { mode: string; tools: string[]; permissionMode: string };
    }>('select files, archive, size_bytes, sandbox from task_workspaces where task_id = $1', [
      t.id,
    ]);
    const ws = rows[0]!;
    expect(ws.files).toEqual([
      { path: 'count.sh', status: 'added', size: 52, type: 'file' },
      { path: 'lines.txt', status: 'added', size: 2, type: 'file' },
      { path: 'notes.md', status: 'added', size: 15, type: 'file' },
    ]);
    expect(Number(ws.size_bytes)).toBeGreaterThan(0);
    expect(ws.sandbox).toMatchObject({
      mode: 'bubblewrap',
      tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Bash'],
      permissionMode: 'acceptEdits',
    });
    const tarText = gunzipSync(ws.archive).toString('latin1');
    expect(tarText).toContain('# Notes\n\nfinal\n');
  });

  it('a team-repository task works on a clone at the ref; its change is the diff', async () => {
    const { rows: repo } = await h.client.pool.query<{ id: string }>(
      `insert into team_repositories (team_id, name, source) values ($1, 'app', $2) returning id`,
      [h.teamId, bare],
    );
    const t = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: '[[scenario:repo-edit]] change the greeting',
      backend: 'claude-code',
      model: MODEL,
      options: { repositoryId: repo[0]!.id, ref: 'v1' },
    });
    const done = await terminalTask(h.client.pool, t.id, 90_000);
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'succeeded',
      result: 'greeting changed',
    });
    const r = await results(t.id);
    expect(r[0]!.content).toContain('hello v1'); // the tag, not main
    expect(r[2]!.content).toMatch(/M greeting.txt\n1/);
    const { rows } = await h.client.pool.query<{
      repository_name: string;
      ref: string;
      base_commit: string;
      diff: string;
      files: unknown;
    }>(
      'select repository_name, ref, base_commit, diff, files from task_workspaces where task_id = $1',
      [t.id],
    );
    expect(rows[0]).toMatchObject({ repository_name: 'app', ref: 'v1', base_commit: v1 });
    expect(rows[0]!.files).toEqual([
      { path: 'greeting.txt', status: 'modified', size: 20, type: 'file' },
    ]);
    expect(rows[0]!.diff).toContain('-hello v1\n+hello from the task');
    const ev = await h.client.pool.query<{ data: Record<string, unknown> }>(
      `select data from task_events where task_id = $1 and type = 'workspace'`,
      [t.id],
    );
    expect(ev.rows[0]!.data).toMatchObject({
      repository: 'app',
      ref: 'v1',
      commit: v1,
      created: true,
    });
  });

  it('a repository that cannot be cloned fails as InvalidRequest with the reason and the worker', async () => {
    const { rows: repo } = await h.client.pool.query<{ id: string }>(
      `insert into team_repositories (team_id, name, source) values ($1, 'outside', '/etc') returning id`,
      [h.teamId],
    );
    const t = await submitTask(h.client.db, h.boss, {
      teamId: h.teamId,
      prompt: 'hi',
      backend: 'claude-code',
      model: MODEL,
      options: { repositoryId: repo[0]!.id },
    });
    const done = await terminalTask(h.client.pool, t.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatchObject({ type: 'InvalidRequest' });
    expect(done.error?.message).toMatch(
      /the workspace could not be prepared on worker .+: \/etc is outside the folders local repositories may come from/,
    );
  });
});
