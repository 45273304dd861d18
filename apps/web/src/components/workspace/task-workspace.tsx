'use client';

import type { RouterOutputs } from '@baton/api';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { formatInt } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState } from '../ui/states';
import { Table, Td } from '../ui/table';
import { diffLineKind, formatBytes, workspaceDownloadUrl } from './format';

type Workspace = NonNullable<RouterOutputs['task']['workspace']>;
type FileEntry = Workspace['files'][number];

/** While the task may still change its workspace, look again this often. */
const REFRESH_MS = 5_000;

const FILE_TONE = { added: 'ok', modified: 'brand', deleted: 'bad' } as const;

const DIFF_TONE = {
  add: 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-300',
  del: 'bg-red-50 text-red-800 dark:bg-red-950/40 dark:text-red-300',
  hunk: 'text-brand-700 dark:text-brand-100',
  meta: 'font-semibold text-zinc-500 dark:text-zinc-400',
  context: 'text-zinc-700 dark:text-zinc-300',
} as const;

const linkButton =
  'inline-flex items-center justify-center gap-1.5 rounded-md border border-zinc-200 bg-white px-3 py-1.5 text-sm font-medium text-zinc-700 shadow-xs hover:bg-zinc-50 focus-visible:ring-2 focus-visible:ring-brand-500/40 focus-visible:outline-none dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800';

function Diff({ diff, truncated }: { diff: string; truncated: boolean }) {
  const lines = useMemo(() => diff.replace(/\n$/, '').split('\n'), [diff]);
  return (
    <div className="border-t border-zinc-100 dark:border-zinc-800">
      <h3 className="px-5 pt-4 text-xs font-semibold text-zinc-900 dark:text-zinc-100">
        Diff against the checked-out commit
      </h3>
      <pre
        data-testid="workspace-diff"
        className="m-5 mt-2 max-h-[32rem] overflow-auto rounded-md border border-zinc-200 bg-zinc-50 py-2 font-mono text-xs leading-5 dark:border-zinc-800 dark:bg-zinc-950"
      >
        {lines.map((line, i) => (
          <span key={i} className={cn('block px-3 whitespace-pre', DIFF_TONE[diffLineKind(line)])}>
            {line || ' '}
          </span>
        ))}
      </pre>
      {truncated ? (
        <p className="-mt-3 px-5 pb-4 text-xs text-zinc-500 dark:text-zinc-400">
          The diff was cut at 1 MiB; download the workspace for all of it.
        </p>
      ) : null}
    </div>
  );
}

function FileRow({
  taskId,
  file,
  downloadable,
}: {
  taskId: string;
  file: FileEntry;
  downloadable: boolean;
}) {
  const canDownload = downloadable && file.type === 'file' && file.status !== 'deleted';
  return (
    <tr>
      <Td className="font-mono text-xs break-all">
        {file.path}
        {file.type === 'dir' ? '/' : null}
        {file.type === 'symlink' ? (
          <span className="ml-1.5">
            <Badge>link</Badge>
          </span>
        ) : null}
      </Td>
      <Td className="text-right">
        <Badge tone={FILE_TONE[file.status]}>{file.status}</Badge>
      </Td>
      <Td className="text-right text-xs tabular whitespace-nowrap">
        {file.type === 'file' && file.status !== 'deleted' ? formatBytes(file.size) : '—'}
      </Td>
      <Td className="text-right">
        {canDownload ? (
          <a
            href={workspaceDownloadUrl(taskId, file.path)}
            download
            className="text-xs font-medium text-brand-700 hover:underline dark:text-brand-100"
          >
            Download<span className="sr-only"> {file.path}</span>
          </a>
        ) : (
          <span className="text-xs text-zinc-400">—</span>
        )}
      </Td>
    </tr>
  );
}

function Summary({ ws }: { ws: Workspace }) {
  return (
    <dl className="grid grid-cols-2 gap-4 border-b border-zinc-100 p-5 text-sm sm:grid-cols-4 dark:border-zinc-800">
      <div>
        <dt className="text-xs text-zinc-500 dark:text-zinc-400">Source</dt>
        <dd className="mt-0.5 font-mono text-xs break-all">
          {ws.repositoryName ? (
            <>
              {ws.repositoryName}
              {ws.ref ? ` @ ${ws.ref}` : null}
              {ws.baseCommit ? (
                <span className="block text-zinc-500 dark:text-zinc-400">
                  {ws.baseCommit.slice(0, 12)}
                </span>
              ) : null}
            </>
          ) : (
            <span className="font-sans">Empty workspace</span>
          )}
        </dd>
      </div>
      <div>
        <dt className="text-xs text-zinc-500 dark:text-zinc-400">Size</dt>
        <dd className="mt-0.5 tabular">
          {formatBytes(ws.sizeBytes)} · {formatInt(ws.fileCount)}{' '}
          {ws.fileCount === 1 ? 'file' : 'files'}
        </dd>
      </div>
      <div>
        <dt className="text-xs text-zinc-500 dark:text-zinc-400">Sandbox</dt>
        <dd className="mt-0.5">
          {ws.sandbox.mode === 'off' ? (
            <Badge tone="warn">off</Badge>
          ) : (
            <Badge tone="ok">{ws.sandbox.mode}</Badge>
          )}
          <span className="mt-0.5 block font-mono text-xs break-all text-zinc-500 dark:text-zinc-400">
            {ws.workerId}
          </span>
        </dd>
      </div>
      <div>
        <dt className="text-xs text-zinc-500 dark:text-zinc-400">Updated</dt>
        <dd className="mt-0.5 text-xs">
          <RelativeTime date={ws.updatedAt} />
          {ws.removedAt ? (
            <span className="block text-zinc-500 dark:text-zinc-400">
              removed from the worker <RelativeTime date={ws.removedAt} />
            </span>
          ) : null}
        </dd>
      </div>
      <div className="col-span-2 sm:col-span-4">
        <dt className="text-xs text-zinc-500 dark:text-zinc-400">Tools</dt>
        <dd className="mt-1 flex flex-wrap items-center gap-1.5">
          {ws.tools.length ? (
            ws.tools.map((t) => (
              <span key={t} className="font-mono">
                <Badge>{t}</Badge>
              </span>
            ))
          ) : (
            <span className="text-xs text-zinc-500">none</span>
          )}
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            · permission mode <span className="font-mono">{ws.permissionMode}</span>
          </span>
        </dd>
      </div>
    </dl>
  );
}

/**
 * A claude-code task's workspace (`task.workspace`): where it came from, its size, how it was
 * confined, the files the task created, changed or deleted, the diff when it is a clone, and
 * downloads of one file or the whole archive (`/api/tasks/:id/workspace`, members only).
 */
export function TaskWorkspace({
  teamId,
  taskId,
  status,
  terminal,
}: {
  teamId: string;
  taskId: string;
  /** The task's status now: a change means a new snapshot may be there. */
  status: string;
  terminal: boolean;
}) {
  const trpc = useTRPC();
  const ws = useQuery({
    ...trpc.task.workspace.queryOptions({ teamId, taskId }),
    refetchInterval: terminal ? false : REFRESH_MS,
  });
  const { refetch } = ws;
  // The worker writes the snapshot as the attempt ends: look once more when the status changes.
  useEffect(() => {
    if (status) void refetch();
  }, [status, refetch]);

  const title = 'Workspace';
  if (ws.isPending) {
    return (
      <Card>
        <CardHeader title={title} />
        <div className="space-y-3 p-5" aria-busy="true">
          <Skeleton className="h-4 w-2/3" />
          <Skeleton className="h-4 w-full" />
          <Skeleton className="h-4 w-5/6" />
        </div>
      </Card>
    );
  }
  if (ws.isError) {
    return (
      <Card>
        <CardHeader title={title} />
        <ErrorState
          title="Workspace unavailable"
          error={ws.error}
          onRetry={() => void ws.refetch()}
          retrying={ws.isFetching}
        />
      </Card>
    );
  }
  const data = ws.data;
  if (!data) {
    return (
      <Card>
        <CardHeader title={title} description="A folder of its own on the worker." />
        <EmptyState
          title="No workspace yet"
          description={
            terminal
              ? 'This task ended before a worker prepared its workspace.'
              : 'The worker prepares it when the task starts; its files show here.'
          }
        />
      </Card>
    );
  }
  const noArchive =
    data.archiveNote ??
    (data.removedAt ? 'the retention policy removed the workspace' : 'none was stored');
  return (
    <Card>
      <CardHeader
        title={title}
        description={
          data.repositoryName
            ? 'A fresh clone of the team repository, as the latest attempt left it.'
            : 'A folder of its own on the worker, as the latest attempt left it.'
        }
        action={
          data.hasArchive ? (
            <a href={workspaceDownloadUrl(taskId)} download className={linkButton}>
              Download workspace
              {data.archiveBytes ? (
                <span className="text-xs font-normal text-zinc-500 dark:text-zinc-400">
                  {formatBytes(data.archiveBytes)}
                </span>
              ) : null}
            </a>
          ) : (
            <span className="text-xs text-zinc-500 dark:text-zinc-400">No archive</span>
          )
        }
      />
      {data.sandbox.mode === 'off' ? (
        <div
          role="alert"
          className="border-b border-amber-200 bg-amber-50 px-5 py-2.5 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950/30 dark:text-amber-200"
        >
          This task ran without a sandbox (BATON_SANDBOX=off on {data.sandbox.worker}): it could
          reach everything the worker can.
        </div>
      ) : data.sandbox.unenforced?.length ? (
        <div className="border-b border-amber-200 bg-amber-50 px-5 py-2.5 text-xs text-amber-900 dark:border-amber-900 dark:bg-amber-950/30 dark:text-amber-200">
          Not enforced on this worker: {data.sandbox.unenforced.join(', ')}.
        </div>
      ) : null}
      <Summary ws={data} />
      {!data.hasArchive ? (
        <p className="border-b border-zinc-100 px-5 py-2.5 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
          No archive to download: {noArchive}.
        </p>
      ) : null}
      {data.files.length === 0 ? (
        <EmptyState
          title="No files changed"
          description={
            data.repositoryName
              ? 'The clone is as it was checked out.'
              : 'The task left its workspace empty.'
          }
        />
      ) : (
        <>
          <Table head={['File', 'Change', 'Size', 'Download']}>
            {data.files.map((f) => (
              <FileRow key={f.path} taskId={taskId} file={f} downloadable={data.hasArchive} />
            ))}
          </Table>
          {data.filesTruncated ? (
            <p className="border-t border-zinc-100 px-5 py-2.5 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
              Only the first {formatInt(data.files.length)} files are listed; the archive has them
              all.
            </p>
          ) : null}
        </>
      )}
      {data.diff ? <Diff diff={data.diff} truncated={data.diffTruncated} /> : null}
    </Card>
  );
}
