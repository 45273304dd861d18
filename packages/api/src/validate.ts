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

/** What PostgreSQL cannot store in text or jsonb, said once for every procedure. */
export const NUL_MESSAGE = 'Remove the NUL character (\\u0000): text cannot contain it.';
/** A lone UTF-16 surrogate: not Unicode text (jsonb refuses its escape; text would store U+FFFD). */
export const SURROGATE_MESSAGE =
  'This text holds half of a character (an unpaired UTF-16 surrogate): it is not valid Unicode.';
// With the u flag a surrogate pair is one code point: only an unpaired half matches.
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Dates PostgreSQL is sent and reads back as written (node-postgres writes 4-digit years). */
export const DATE_RANGE_MESSAGE = 'Use a date between the years 1 and 9999.';
// Date.UTC maps years 0–99 to 1900–1999: set the year after.
const FIRST_DATE = new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(1);
const LAST_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The input's values PostgreSQL cannot take, at any depth — strings (values and keys) with a NUL
 * character, which text and jsonb refuse, or with a lone UTF-16 surrogate (not Unicode), and dates outside the years 1–9999 — one issue naming
 * each one's field (at most 20; no deeper than 64 levels, past any schema's own nesting).
 */
export function unstorableIssues(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0 && issues.length < 20) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) issues.push({ field: path.join('.'), message: NUL_MESSAGE });
      else if (LONE_SURROGATE.test(value))
        issues.push({ field: path.join('.'), message: SURROGATE_MESSAGE });
    } else if (value instanceof Date) {
      const t = value.getTime();
      if (t < FIRST_DATE || t > LAST_DATE)
        issues.push({ field: path.join('.'), message: DATE_RANGE_MESSAGE });
    } else if (value && typeof value === 'object' && path.length < 64 && !seen.has(value)) {
      seen.add(value);
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000'))
          issues.push({ field: [...path, key].join('.'), message: NUL_MESSAGE });
        else if (LONE_SURROGATE.test(key))
          issues.push({ field: [...path, key].join('.'), message: SURROGATE_MESSAGE });
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return issues;
}
