/** Anthropic error types, by the HTTP status the real API pairs them with. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export const STATUS_OF: Record<ApiErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An error that becomes an Anthropic-shaped HTTP error response. */
export class SimError extends Error {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly headers: Record<string, string> | undefined;

  constructor(type: ApiErrorType, message: string, headers?: Record<string, string>) {
    super(message);
    this.type = type;
    this.status = STATUS_OF[type];
    this.headers = headers;
  }
}

export function invalid(message: string): SimError {
  return new SimError('invalid_request_error', message);
}

/** `{"type":"error","error":{"type":…,"message":…},"request_id":…}` */
export function errorBody(type: ApiErrorType, message: string, requestId: string): string {
  return JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId });
}

/** The `data:` payload of an SSE `error` event (no request id, like the real stream). */
export function streamErrorPayload(type: ApiErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}
