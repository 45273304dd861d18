import { isAppError, workspaceDownload } from '@baton/api';
import { getAuth } from '@/server/auth';
import { getDb } from '@/server/db';

export const dynamic = 'force-dynamic';

/** The status each refusal of `workspaceDownload` is answered with. */
const STATUS = { NOT_FOUND: 404, BAD_REQUEST: 400, FORBIDDEN: 403, UNAUTHORIZED: 401 } as const;

/** `filename="…"` for old clients (ASCII, quotes and controls replaced) and `filename*` (UTF-8). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Headers that keep a downloaded file from ever rendering as a page of the console. */
const SAFE = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cache-Control': 'private, no-store',
} as const;

function refusal(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { ...SAFE, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/**
 * GET /api/tasks/:taskId/workspace — the task's workspace as a .tar.gz; `?path=<file>` one
 * regular file of it. For the signed-in members of the task's team only (`workspaceDownload`
 * checks the membership; anyone else gets 404, as for a task that does not exist). Always an
 * attachment, never shown inline.
 */
export async function GET(
  req: Request,
  { params }: { params: Promise<{ taskId: string }> },
): Promise<Response> {
  const { taskId } = await params;
  let userId: string | undefined;
  try {
    userId = (await getAuth().api.getSession({ headers: req.headers }))?.user.id;
  } catch (err) {
    console.error('[baton-web] session lookup failed:', err);
    return refusal(503, 'The session could not be checked; try again.');
  }
  if (!userId) return refusal(401, 'Sign in to download this workspace.');
  const path = new URL(req.url).searchParams.get('path');
  try {
    const file = await workspaceDownload(getDb().db, { userId, taskId, path });
    return new Response(new Uint8Array(file.body), {
      status: 200,
      headers: {
        ...SAFE,
        'Content-Type': file.contentType,
        'Content-Length': String(file.body.byteLength),
        'Content-Disposition': contentDisposition(file.filename),
      },
    });
  } catch (err) {
    if (isAppError(err) && err.code in STATUS)
      return refusal(STATUS[err.code as keyof typeof STATUS], err.message);
    console.error(`[baton-web] workspace download of ${taskId} failed:`, err);
    return refusal(500, 'The workspace could not be downloaded.');
  }
}
