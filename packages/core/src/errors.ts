import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { getHeader, type HeadersLike, isSpendLimit, parseRetryAfter } from '@baton/ratelimit';

/** The one error taxonomy of Baton: every failure of every backend maps to one of these. */
export const ERROR_CODES = [
  'RateLimit',
  'NetworkTimeout',
  'ServiceUnavailable',
  'AuthenticationFailure',
  'ModelOverloaded',
  'ContextTooLarge',
  'InvalidRequest',
  'SpendLimit',
  'CliNotFound',
  'SessionTimeout',
  /** A confined task ran into one of its resource limits (memory, processes, CPU time, disk). */
  'ResourceLimit',
  /** Claude Code must run in a sandbox and none can start here (`BATON_SANDBOX=required`). */
  'SandboxUnavailable',
  'Unknown',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface BatonErrorDetails {
  /** HTTP status, when the failure was an HTTP answer. */
  status?: number | undefined;
  /** Provider request id (`request-id` header). */
  requestId?: string | undefined;
  /** The provider's error type (`overloaded_error`, …) when it gave one. */
  providerType?: string | undefined;
  /** How long the provider asked us to wait (retry-after or rate-limit reset), in ms. */
  retryAfterMs?: number | undefined;
  /** Response headers of the failed request (rate-limit calibration, diagnostics). */
  headers?: HeadersLike | undefined;
  model?: string | undefined;
  cause?: unknown;
}

/** Base class: switch on `code`. */
export class BatonError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly providerType: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly headers: HeadersLike | undefined;
  readonly model: string | undefined;

  constructor(code: ErrorCode, message: string, details: BatonErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = `${code}Error`;
    this.code = code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.providerType = details.providerType;
    this.retryAfterMs = details.retryAfterMs;
    this.headers = details.headers;
    this.model = details.model;
  }

  /** A plain object for events and logs (no headers, no cause chain). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      status: this.status,
      requestId: this.requestId,
      providerType: this.providerType,
      retryAfterMs: this.retryAfterMs,
      model: this.model,
    };
  }
}

type Details = BatonErrorDetails;

export class RateLimitError extends BatonError {
  constructor(message: string, details?: Details) {
    super('RateLimit', message, details);
  }
}
export class NetworkTimeoutError extends BatonError {
  constructor(message: string, details?: Details) {
    super('NetworkTimeout', message, details);
  }
}
export class ServiceUnavailableError extends BatonError {
  constructor(message: string, details?: Details) {
    super('ServiceUnavailable', message, details);
  }
}
export class AuthenticationFailureError extends BatonError {
  constructor(message: string, details?: Details) {
    super('AuthenticationFailure', message, details);
  }
}
export class ModelOverloadedError extends BatonError {
  constructor(message: string, details?: Details) {
    super('ModelOverloaded', message, details);
  }
}
export class ContextTooLargeError extends BatonError {
  constructor(message: string, details?: Details) {
    super('ContextTooLarge', message, details);
  }
}
export class InvalidRequestError extends BatonError {
  constructor(message: string, details?: Details) {
    super('InvalidRequest', message, details);
  }
}
export class SpendLimitError extends BatonError {
  constructor(message: string, details?: Details) {
    super('SpendLimit', message, details);
  }
}
export class CliNotFoundError extends BatonError {
  constructor(message: string, details?: Details) {
    super('CliNotFound', message, details);
  }
}
export class SessionTimeoutError extends BatonError {
  constructor(message: string, details?: Details) {
    super('SessionTimeout', message, details);
  }
}
export class ResourceLimitError extends BatonError {
  /** Which limit: memory | processes | cpu | disk. */
  readonly limit: string | undefined;
  constructor(message: string, details?: Details & { limit?: string }) {
    super('ResourceLimit', message, details);
    this.limit = details?.limit;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), limit: this.limit };
  }
}
export class SandboxUnavailableError extends BatonError {
  constructor(message: string, details?: Details) {
    super('SandboxUnavailable', message, details);
  }
}
export class UnknownError extends BatonError {
  constructor(message: string, details?: Details) {
    super('Unknown', message, details);
  }
}

const CLASSES: Record<ErrorCode, new (message: string, details?: Details) => BatonError> = {
  RateLimit: RateLimitError,
  NetworkTimeout: NetworkTimeoutError,
  ServiceUnavailable: ServiceUnavailableError,
  AuthenticationFailure: AuthenticationFailureError,
  ModelOverloaded: ModelOverloadedError,
  ContextTooLarge: ContextTooLargeError,
  InvalidRequest: InvalidRequestError,
  SpendLimit: SpendLimitError,
  CliNotFound: CliNotFoundError,
  SessionTimeout: SessionTimeoutError,
  ResourceLimit: ResourceLimitError,
  SandboxUnavailable: SandboxUnavailableError,
  Unknown: UnknownError,
};

/** Creates the typed error class of a code. */
export function batonError(code: ErrorCode, message: string, details?: Details): BatonError {
  return new CLASSES[code](message, details);
}

/** The caller aborted (AbortSignal). Not part of the taxonomy: an abort is a stop, not a failure. */
export class AbortError extends Error {
  constructor(reason?: unknown) {
    super('the operation was aborted', reason === undefined ? undefined : { cause: reason });
    this.name = 'AbortError';
  }
}

export function isAbort(err: unknown): boolean {
  return (
    err instanceof AbortError ||
    err instanceof APIUserAbortError ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

/** Provider error `type` (HTTP body or SSE `error` event) → code. */
const BY_PROVIDER_TYPE: Record<string, ErrorCode> = {
  invalid_request_error: 'InvalidRequest',
  authentication_error: 'AuthenticationFailure',
  permission_error: 'AuthenticationFailure',
  billing_error: 'SpendLimit',
  not_found_error: 'InvalidRequest',
  request_too_large: 'ContextTooLarge',
  rate_limit_error: 'RateLimit',
  api_error: 'ServiceUnavailable',
  timeout_error: 'NetworkTimeout',
  overloaded_error: 'ModelOverloaded',
};

/** HTTP status → code (the provider type refines it where statuses are shared). */
export function codeOfStatus(status: number): ErrorCode {
  if (status === 400 || status === 404 || status === 409 || status === 422) return 'InvalidRequest';
  if (status === 401 || status === 403) return 'AuthenticationFailure';
  if (status === 402) return 'SpendLimit';
  if (status === 408 || status === 504) return 'NetworkTimeout';
  if (status === 413) return 'ContextTooLarge';
  if (status === 429) return 'RateLimit';
  if (status === 529) return 'ModelOverloaded';
  if (status >= 500) return 'ServiceUnavailable';
  return 'Unknown';
}

const CONTEXT_MESSAGE = /prompt is too long|context (window|length)|too many (input )?tokens/i;
const SPEND_MESSAGE = /credit balance|spend(ing)? limit|usage limits?|billing/i;

/** The earliest rate-limit reset among `anthropic-ratelimit-*-reset` headers, as a delay. */
export function resetDelayMs(
  headers: HeadersLike | undefined,
  now = Date.now(),
): number | undefined {
  let best: number | undefined;
  for (const dim of ['requests', 'input-tokens', 'output-tokens', 'tokens']) {
    const remaining = getHeader(headers, `anthropic-ratelimit-${dim}-remaining`);
    if (remaining !== undefined && Number(remaining) > 0) continue;
    const raw = getHeader(headers, `anthropic-ratelimit-${dim}-reset`);
    if (!raw) continue;
    const at = Date.parse(raw);
    if (Number.isNaN(at)) continue;
    const d = Math.max(0, at - now);
    if (best === undefined || d > best) best = d;
  }
  return best;
}

function errorMessageOf(body: unknown): string | undefined {
  const m = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === 'string' ? m : undefined;
}

/** Context a classification may use: the model that was called. */
export interface ClassifyContext {
  model?: string | undefined;
}

/**
 * Maps anything thrown by a backend to the taxonomy: `@anthropic-ai/sdk` errors (every
 * APIError subclass, connection errors and timeouts, SSE `error` events), HTTP statuses, Node
 * system errors. A BatonError passes through; aborts are returned unchanged (see `isAbort`).
 */
export function classifyError(err: unknown, ctx: ClassifyContext = {}): BatonError {
  if (err instanceof BatonError) return err;
  const model = ctx.model;
  if (err instanceof APIConnectionTimeoutError) {
    return new NetworkTimeoutError(`request timed out: ${err.message}`, { cause: err, model });
  }
  if (err instanceof APIConnectionError) {
    return new NetworkTimeoutError(`connection failed: ${causeMessage(err)}`, {
      cause: err,
      model,
    });
  }
  if (err instanceof APIError) {
    const status = typeof err.status === 'number' ? err.status : undefined;
    const body = err.error as unknown;
    const providerType =
      err.type ?? (body as { error?: { type?: string } } | undefined)?.error?.type ?? undefined;
    const message = errorMessageOf(body) ?? err.message;
    const headers = err.headers ?? undefined;
    let code: ErrorCode =
      (providerType ? BY_PROVIDER_TYPE[providerType] : undefined) ??
      (status !== undefined ? codeOfStatus(status) : 'Unknown');
    if (status === 429 && isSpendLimit(429, headers, message)) code = 'SpendLimit';
    if (code === 'InvalidRequest' && CONTEXT_MESSAGE.test(message)) code = 'ContextTooLarge';
    if (code === 'InvalidRequest' && status === 400 && SPEND_MESSAGE.test(message))
      code = 'SpendLimit';
    let retryAfterMs: number | undefined;
    if (code === 'RateLimit' || code === 'ModelOverloaded' || code === 'ServiceUnavailable') {
      retryAfterMs = parseRetryAfter(headers, Date.now()) ?? resetDelayMs(headers);
    }
    const where = status === undefined ? 'stream error' : `HTTP ${status}`;
    return batonError(code, `${where}${providerType ? ` ${providerType}` : ''}: ${message}`, {
      status,
      requestId: err.requestID ?? getHeader(headers, 'request-id'),
      providerType: providerType ?? undefined,
      retryAfterMs,
      headers,
      model,
      cause: err,
    });
  }
  if (err instanceof Error) {
    const sys =
      (err as NodeJS.ErrnoException).code ??
      ((err as { cause?: NodeJS.ErrnoException }).cause?.code as string | undefined);
    if (sys === 'ENOENT' && /spawn|claude|executable/i.test(err.message)) {
      return new CliNotFoundError(`Claude Code executable not found: ${err.message}`, {
        cause: err,
      });
    }
    if (
      sys === 'ECONNRESET' ||
      sys === 'ECONNREFUSED' ||
      sys === 'ETIMEDOUT' ||
      sys === 'EPIPE' ||
      sys === 'UND_ERR_SOCKET' ||
      (err instanceof TypeError && err.message === 'terminated')
    ) {
      return new NetworkTimeoutError(`network failure (${sys}): ${err.message}`, {
        cause: err,
        model,
      });
    }
    return new UnknownError(err.message, { cause: err, model });
  }
  return new UnknownError(String(err), { cause: err, model });
}

/** The error type Claude Code puts on a failed assistant message → code. */
export function codeOfClaudeCodeError(kind: string): ErrorCode {
  switch (kind) {
    case 'authentication_failed':
    case 'oauth_org_not_allowed':
    case 'account_on_hold':
    case 'verification_required':
    case 'cloud_credential_error':
      return 'AuthenticationFailure';
    case 'billing_error':
      return 'SpendLimit';
    case 'rate_limit':
      return 'RateLimit';
    case 'overloaded':
      return 'ModelOverloaded';
    case 'invalid_request':
    case 'model_not_found':
      return 'InvalidRequest';
    case 'server_error':
      return 'ServiceUnavailable';
    default:
      return 'Unknown';
  }
}

function causeMessage(err: Error): string {
  const c = (err as { cause?: unknown }).cause;
  if (c instanceof Error) {
    const inner = (c as { cause?: unknown }).cause;
    const code = (c as NodeJS.ErrnoException).code ?? (inner as NodeJS.ErrnoException)?.code;
    return `${err.message} (${code ? `${code}: ` : ''}${c.message})`;
  }
  return err.message;
}
