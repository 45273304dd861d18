/**
 * Downloads of a claude-code task's workspace (binary, so not tRPC): the whole archive the
 * worker stored, or one regular file from it. For members of the task's team only; anyone
 * else gets NOT_FOUND, exactly as for a task that does not exist.
 */
import path from 'node:path';
import type { Database } from '@baton/db/client';
import { memberships, tasks, taskWorkspaces } from '@baton/db/schema';
import { and, eq } from 'drizzle-orm';
import { Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { AppError } from './errors';

/** One file is served from memory: larger ones come with the whole archive. */
export const MAX_FILE_DOWNLOAD_BYTES = 256 * 2 ** 20;

export interface WorkspaceDownloadRequest {
  /** The signed-in user. */
  userId: string;
  taskId: string;
  /** A file's path inside the workspace (as in `task.workspace`'s `files`); absent: the whole archive. */
  path?: string | null;
}

export interface WorkspaceDownload {
  filename: string;
  contentType: string;
  body: Buffer;
}

const uuid = z.uuid();

/** Regular files only: never links (symbolic or hard), devices or directories. */
const REGULAR = new Set<ReadEntry['type']>(['File', 'OldFile', 'ContiguousFile']);

const entryPath = (p: string) => p.replace(/^(\.\/)+/, '');

function notFound(message: string): AppError {
  return new AppError('NOT_FOUND', message);
}

/**
 * The workspace archive of `taskId` (`task-<id8>-workspace.tar.gz`, application/gzip), or with
 * `path` the regular file at that path inside it (application/octet-stream, named by its
 * basename). NOT_FOUND when the user is not a member of the task's team (or the task does not
 * exist), when there is no archive (the message says why), or when the archive holds no
 * regular file at `path` (a symlink is never followed or served).
 */
export async function workspaceDownload(
  db: Database,
  req: WorkspaceDownloadRequest,
): Promise<WorkspaceDownload> {
  if (!req.userId || !uuid.safeParse(req.taskId).success) throw notFound('Task not found.');
  const [row] = await db
    .select({
      taskId: tasks.id,
      hasWorkspace: taskWorkspaces.taskId,
      archive: taskWorkspaces.archive,
      archiveNote: taskWorkspaces.archiveNote,
      removedAt: taskWorkspaces.removedAt,
    })
    .from(tasks)
    .innerJoin(
      memberships,
      and(eq(memberships.teamId, tasks.teamId), eq(memberships.userId, req.userId)),
    )
    .leftJoin(taskWorkspaces, eq(taskWorkspaces.taskId, tasks.id))
    .where(eq(tasks.id, req.taskId))
    .limit(1);
  if (!row) throw notFound('Task not found.');
  if (!row.hasWorkspace) throw notFound('This task has no workspace (yet).');
  if (!row.archive) {
    const why =
      row.archiveNote ??
      (row.removedAt ? 'the retention policy removed the workspace' : 'none was stored');
    throw notFound(`There is no archive of this workspace: ${why}.`);
  }
  if (req.path === undefined || req.path === null) {
    return {
      filename: `task-${row.taskId.slice(0, 8)}-workspace.tar.gz`,
      contentType: 'application/gzip',
      body: row.archive,
    };
  }
  const wanted = entryPath(req.path);
  if (!wanted || wanted.length > 4096 || wanted.includes('\0'))
    throw notFound(`No file "${req.path}" in the workspace.`);
  const body = await extractFile(row.archive, wanted);
  if (!body) throw notFound(`No file "${wanted}" in the workspace.`);
  return {
    filename: path.posix.basename(wanted),
    contentType: 'application/octet-stream',
    body,
  };
}

/** The last regular-file entry at `wanted` in a .tar.gz, or undefined. */
async function extractFile(archive: Buffer, wanted: string): Promise<Buffer | undefined> {
  let found: Buffer | undefined;
  let tooLarge = false;
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        if (entryPath(entry.path) !== wanted) {
          entry.resume();
          return;
        }
        if (!REGULAR.has(entry.type)) {
          // A later entry of the same name replaces an earlier one, as on extraction.
          found = undefined;
          entry.resume();
          return;
        }
        if (entry.size > MAX_FILE_DOWNLOAD_BYTES) {
          tooLarge = true;
          found = undefined;
          entry.resume();
          return;
        }
        tooLarge = false;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          found = Buffer.concat(chunks);
        });
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(archive);
  }).catch((err: unknown) => {
    throw new AppError('INTERNAL', `The workspace archive could not be read: ${String(err)}`);
  });
  if (tooLarge)
    throw new AppError(
      'BAD_REQUEST',
      `"${wanted}" is larger than ${MAX_FILE_DOWNLOAD_BYTES / 2 ** 20} MiB: download the whole workspace instead.`,
      { field: 'path' },
    );
  return found;
}
