import { Card } from '../ui/card';
import { AlertIcon } from '../ui/icons';

/** Shown instead of the console when the server cannot check the session (database down, bad configuration). */
export function Unavailable({ detail }: { detail: string }) {
  return (
    <div className="flex min-h-dvh items-center justify-center px-4">
      <Card className="w-full max-w-md">
        <div role="alert" className="flex flex-col items-center px-6 py-10 text-center">
          <div className="mb-3 flex size-10 items-center justify-center rounded-full bg-red-50 text-bad dark:bg-red-950/50">
            <AlertIcon width={18} height={18} />
          </div>
          <h1 className="text-base font-semibold">Baton cannot reach its database</h1>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
            Check that PostgreSQL is running and DATABASE_URL is right, then reload this page.
          </p>
          <p
            className="mt-4 max-w-full truncate rounded bg-zinc-100 px-2 py-1 font-mono text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
            title={detail}
          >
            {detail}
          </p>
        </div>
      </Card>
    </div>
  );
}
