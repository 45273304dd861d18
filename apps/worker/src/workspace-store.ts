/**
 * Task workspaces in PostgreSQL: after every attempt of a claude-code task, what its workspace
 * holds (sizes, changed files, the diff, the archive) lands in `task_workspaces` so the console
 * can show and serve it from any host; the retention sweep removes a finished task's workspace
 * from this worker's disk (and its archive from the database) after the operator's days.
 */
import type { WorkspaceSnapshot, Workspaces } from '@baton/core';
import type { WorkspaceSandboxInfo } from '@baton/db/schema';
import type pg from 'pg';

export interface WorkspaceRow {
  taskId: string;
  teamId: string;
  repositoryId: string | null;
  repositoryName: string | null;
  ref: string | null;
  baseCommit: string | null;
  workerId: string;
  sandbox: WorkspaceSandboxInfo;
  snapshot: WorkspaceSnapshot;
}

const UPSERT = `
insert into task_workspaces
  (task_id, team_id, repository_id, repository_name, ref, base_commit, worker_id, sandbox,
   size_bytes, file_count, files, files_truncated, diff, diff_truncated, archive, archive_bytes,
   archive_note, updated_at, removed_at)
values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, now(), null)
on conflict (task_id) do update set
  repository_id = excluded.repository_id, repository_name = excluded.repository_name,
  ref = excluded.ref, base_commit = excluded.base_commit, worker_id = excluded.worker_id,
  sandbox = excluded.sandbox, size_bytes = excluded.size_bytes, file_count = excluded.file_count,
  files = excluded.files, files_truncated = excluded.files_truncated, diff = excluded.diff,
  diff_truncated = excluded.diff_truncated, archive = excluded.archive,
  archive_bytes = excluded.archive_bytes, archive_note = excluded.archive_note,
  updated_at = now(), removed_at = null`;

export async function saveWorkspace(pool: pg.Pool, r: WorkspaceRow): Promise<void> {
  const s = r.snapshot;
  await pool.query({
    name: 'baton_task_workspace_upsert',
    text: UPSERT,
    values: [
      r.taskId,
      r.teamId,
      r.repositoryId,
      r.repositoryName,
      r.ref,
      r.baseCommit,
      r.workerId,
      JSON.stringify(r.sandbox),
      s.sizeBytes,
      s.fileCount,
      JSON.stringify(s.files),
      s.filesTruncated,
      s.diff ?? null,
      s.diffTruncated,
      s.archive ?? null,
      s.archive ? s.archive.length : null,
      s.archiveNote ?? null,
    ],
  });
}

/**
 * Removes the workspaces on this disk whose task finished more than the retention ago (the
 * instance setting), or whose task no longer exists; their rows keep the file list and diff
 * but lose the archive. Returns the task ids removed.
 */
export async function sweepWorkspaces(
  pool: pg.Pool,
  workspaces: Workspaces,
  o: { workerId: string; now?: Date } = { workerId: '' },
): Promise<string[]> {
  const ids = workspaces.list();
  if (ids.length === 0) return [];
  const { rows } = await pool.query<{ id: string; expired: boolean; days: number }>(
    `with s as (select workspace_retention_days as days from instance_settings where id)
     select ids.id, (t.id is null
                     or (t.status in ('succeeded', 'failed', 'cancelled', 'timed_out')
                         and coalesce(t.finished_at, t.updated_at) < $2::timestamptz - make_interval(days => s.days))) as expired,
            s.days
       from unnest($1::uuid[]) as ids(id)
       cross join s
       left join tasks t on t.id = ids.id`,
    [ids, (o.now ?? new Date()).toISOString()],
  );
  const expired = rows.filter((r) => r.expired);
  for (const r of expired) workspaces.remove(r.id);
  if (expired.length) {
    const days = expired[0]?.days ?? 0;
    await pool.query(
      `update task_workspaces set archive = null, removed_at = now(),
              archive_note = $2
        where task_id = any($1::uuid[]) and removed_at is null`,
      [
        expired.map((r) => r.id),
        `removed by the retention policy (${days} days after the task finished)`,
      ],
    );
  }
  return expired.map((r) => r.id);
}
