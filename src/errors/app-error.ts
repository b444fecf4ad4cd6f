// One error type for every response that is not a success. The set of codes is closed: adding one is
// a deliberate change here, and its status follows from this table, its `type` from the status.

export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_token: 400,
  invalid_cursor: 400,
  invalid_code: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  invalid_credentials: 401,
  session_required: 401,
  email_not_verified: 403,
  csrf_rejected: 403,
  insufficient_permissions: 403,
  account_disabled: 403,
  forbidden: 403,
  not_found: 404,
  unknown_endpoint: 404,
  model_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  email_taken: 409,
  key_limit_reached: 409,
  key_revoked: 409,
  key_expired: 409,
  key_rotated: 409,
  idempotency_key_reused: 409,
  totp_already_enabled: 409,
  totp_not_pending: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  rate_limit_exceeded: 429,
  internal_error: 500,
  totp_not_configured: 501,
  upstream_unavailable: 502,
  service_unavailable: 503,
  upstream_busy: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export const ERROR_CODES = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

export const ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "rate_limit_error",
  "api_error",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export function errorTypeFor(status: number): ErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

export class AppError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { param?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = errorStatus[code];
    this.type = errorTypeFor(this.status);
    this.param = options.param;
    this.headers = options.headers ?? {};
  }
}

export interface ErrorBody {
  error: { message: string; type: ErrorType; code: ErrorCode; param?: string };
}

export function errorBody(code: ErrorCode, message: string, param?: string): ErrorBody {
  const error: ErrorBody["error"] = { message, type: errorTypeFor(errorStatus[code]), code };
  if (param !== undefined) error.param = param;
  return { error };
}

/** A dependency (PostgreSQL, Redis) cannot be reached: retryable, so 503 with Retry-After. */
export function serviceUnavailable(
  message = "A service keyward depends on is unavailable; retry shortly",
): AppError {
  return new AppError("service_unavailable", message, { headers: { "retry-after": "5" } });
}
