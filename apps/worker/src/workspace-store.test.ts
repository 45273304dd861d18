import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkspaces } from '@baton/core';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { saveWorkspace, sweepWorkspaces } from './workspace-store';

let tdb: TestDatabase;
let pool: pg.Pool;
let teamId: string;
let root: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = new pg.Pool({ connectionString: tdb.url });
  const { rows } = await pool.query<{ id: string }>(
    `insert into teams (name, slug) values ('W', 'w') returning id`,
  );
  teamId = rows[0]!.id;
  root = mkdtempSync(path.join(os.tmpdir(), 'baton-retention-'));
});
afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
  rmSync(root, { recursive: true, force: true });
});

async function task(status: string, finishedDaysAgo: number | null): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into tasks (team_id, prompt, model, backend, status, finished_at)
     values ($1, 'x', 'claude-sonnet-5', 'claude-code', $2, case when $3::int is null then null else now() - make_interval(days => $3::int) end)
     returning id`,
    [teamId, status, finishedDaysAgo],
  );
  return rows[0]!.id;
}

describe('workspace snapshots and retention', () => {
  it('saves what a workspace holds, then removes finished tasks’ workspaces after the retention', async () => {
    const ws = createWorkspaces({ root });
    const old = await task('succeeded', 8);
    const recent = await task('failed', 2);
    const running = await task('running', null);
    const gone = '00000000-0000-4000-8000-00000000abcd';
    for (const id of [old, recent, running, gone]) {
      const w = await ws.prepare(id);
      writeFileSync(path.join(w.path, 'out.txt'), `${id}\n`);
    }
    for (const id of [old, recent, running]) {
      await saveWorkspace(pool, {
        taskId: id,
        teamId,
        repositoryId: null,
        repositoryName: null,
        ref: null,
        baseCommit: null,
        workerId: 'w-1',
        sandbox: { mode: 'bubblewrap', worker: 'w-1' },
        snapshot: await ws.snapshot(id),
      });
    }
    const saved = await pool.query<{ files: unknown; n: number; archive_bytes: number }>(
      `select files, file_count as n, archive_bytes::int as archive_bytes from task_workspaces where task_id = $1`,
      [old],
    );
    expect(saved.rows[0]).toMatchObject({
      files: [{ path: 'out.txt', status: 'added', size: 37, type: 'file' }],
      n: 1,
    });
    expect(saved.rows[0]!.archive_bytes).toBeGreaterThan(0);

    // Default retention: 7 days.
    const removed = await sweepWorkspaces(pool, ws, { workerId: 'w-1' });
    expect(removed.sort()).toEqual([old, gone].sort());
    expect(existsSync(path.join(root, old))).toBe(false);
    expect(existsSync(path.join(root, gone))).toBe(false);
    expect(existsSync(path.join(root, recent, 'work', 'out.txt'))).toBe(true);
    expect(existsSync(path.join(root, running, 'work', 'out.txt'))).toBe(true);
    const { rows } = await pool.query<{
      task_id: string;
      archive: Buffer | null;
      removed: boolean;
      note: string | null;
      files: unknown[];
    }>(
      `select task_id, archive, removed_at is not null as removed, archive_note as note, files from task_workspaces order by task_id`,
    );
    const byId = new Map(rows.map((r) => [r.task_id, r]));
    expect(byId.get(old)).toMatchObject({
      archive: null,
      removed: true,
      note: 'removed by the retention policy (7 days after the task finished)',
    });
    expect(byId.get(old)!.files).toHaveLength(1); // the list stays
    expect(byId.get(recent)).toMatchObject({ removed: false });
    expect(byId.get(recent)!.archive).not.toBeNull();

    // The operator shortens it to 1 day: the 2-day-old one goes too; a running task never does.
    await pool.query('update instance_settings set workspace_retention_days = 1');
    expect(await sweepWorkspaces(pool, ws, { workerId: 'w-1' })).toEqual([recent]);
    expect(existsSync(path.join(root, running, 'work'))).toBe(true);
  });
});
