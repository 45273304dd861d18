/**
 * How the CLI reports a refusal. A field error from @baton/api (an AppError naming
 * `meta.field`, the same one tRPC sends the console) prints as `error: <field>: <message>`
 * — one line per invalid field — and exits with 2, like any other bad input the API refuses
 * (a refusal without a field, e.g. a team with no provider key, as `error: <message>`); a
 * reached spend cap (BUDGET_EXCEEDED) prints its sentence as `error: <sentence>` and exits
 * with 3; anything else prints as `baton: <message>` and exits with 1.
 */

/** Exit code for input the API refused. */
export const EXIT_BAD_INPUT = 2;

/** Exit code for a task refused because a spend cap that applies is reached (BUDGET_EXCEEDED). */
export const EXIT_BUDGET_EXCEEDED = 3;

interface AppErrorLike {
  name: 'AppError';
  code: string;
  message: string;
  meta?: { field?: string; issues?: { field: string; message: string }[] };
}

/** Duck-typed, so reporting needs no import of @baton/api (loaded lazily by the commands). */
function isAppError(err: unknown): err is AppErrorLike {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'AppError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

const REFUSALS = new Set(['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN']);

/** The lines to print and the exit code for an error a command threw. */
export function describeError(err: unknown): { lines: string[]; exitCode: number } {
  // The cap, what was spent and when it resets: the API's sentence as it is.
  if (isAppError(err) && err.code === 'BUDGET_EXCEEDED')
    return { lines: [`error: ${err.message}`], exitCode: EXIT_BUDGET_EXCEEDED };
  if (isAppError(err) && REFUSALS.has(err.code)) {
    const issues = err.meta?.issues?.length
      ? err.meta.issues
      : [{ field: err.meta?.field ?? '', message: err.message }];
    return {
      lines: issues.map((i) =>
        i.field ? `error: ${i.field}: ${i.message}` : `error: ${i.message}`,
      ),
      exitCode: EXIT_BAD_INPUT,
    };
  }
  return { lines: [`baton: ${err instanceof Error ? err.message : String(err)}`], exitCode: 1 };
}
