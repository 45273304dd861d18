import type { z } from 'zod';
import { AppError } from './errors';

/** One input field's problem, `field` a dotted path ("tools", "fallbackModels.1"). */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Parses input with the same zod schema a procedure declares, for callers that do not go
 * through tRPC (the CLI): a failure is an `AppError('BAD_REQUEST')` naming the first invalid
 * field (`meta.field`), every issue in `meta.issues`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
    field: i.path.map(String).join('.'),
    message: i.message,
  }));
  const first = issues[0] ?? { field: '', message: 'The input is invalid.' };
  throw new AppError('BAD_REQUEST', first.message, {
    ...(first.field ? { field: first.field } : {}),
    issues,
  });
}

/** A field error: BAD_REQUEST naming `field`. */
export function fieldError(field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', message, { field });
}
