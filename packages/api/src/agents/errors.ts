import { type CoordinationErrorCode, isCoordinationError } from '@baton/core';
import { AppError, type AppErrorCode } from '../errors';

/** The domain error each coordination refusal becomes (the api's one error mapping). */
export const APP_CODE_OF_COORDINATION = {
  TREE_LIMIT: 'CONFLICT',
  TREE_BUDGET: 'BUDGET_EXCEEDED',
  TREE_STOPPED: 'CONFLICT',
  NOT_FOUND: 'NOT_FOUND',
  INVALID: 'BAD_REQUEST',
} as const satisfies Record<CoordinationErrorCode, AppErrorCode>;

/**
 * A `CoordinationError` as the `AppError` the tRPC layer maps: its details are the meta (a
 * `field` among them stays the field), and `meta.coordination` keeps its own code
 * (`'TREE_LIMIT'`, …) so a client can tell a full tree from a stopped one. Anything else is
 * returned as it is.
 */
export function coordinationAsAppError(err: unknown): unknown {
  if (!isCoordinationError(err)) return err;
  return new AppError(
    APP_CODE_OF_COORDINATION[err.code],
    err.message,
    { ...err.details, coordination: err.code },
    { cause: err },
  );
}
