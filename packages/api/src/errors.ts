/**
 * Domain errors. Code anywhere in @baton/api throws `AppError`; the tRPC layer
 * turns it into the matching tRPC error (HTTP status included) in one place
 * (see `trpc.ts`), so routers never build `TRPCError`s by hand.
 */
export const APP_ERROR_CODES = [
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'BAD_REQUEST',
  'CONFLICT',
  /** A spend cap that applies is reached (FORBIDDEN over tRPC; `meta.details` names the cap). */
  'BUDGET_EXCEEDED',
  /** Something this server depends on is not there (no provider key, the provider unreachable). */
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** Extra, client-safe details; `field` names the input field the error is about. */
export interface AppErrorMeta {
  field?: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly meta: AppErrorMeta | undefined;

  constructor(code: AppErrorCode, message: string, meta?: AppErrorMeta, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.meta = meta;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The tRPC error code each domain error becomes. */
export const TRPC_CODE_OF = {
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  BAD_REQUEST: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  BUDGET_EXCEEDED: 'FORBIDDEN',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const satisfies Record<AppErrorCode, string>;

/** PostgreSQL's unique_violation, as raised through node-postgres (possibly wrapped by Drizzle). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const pgErr = e as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (pgErr.code === '23505') return constraint === undefined || pgErr.constraint === constraint;
    e = pgErr.cause;
  }
  return false;
}
