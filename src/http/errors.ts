import type { ServerResponse } from "node:http";
import { AppError, errorBody, serviceUnavailable } from "../errors/app-error.js";
import { loggableError, postgresCodeOf } from "../errors/loggable-error.js";
import type { Logger } from "../logging/logger.js";

/**
 * Answers with `err` in the contract's shape: an unknown error becomes a 500 with no detail leaked.
 * Server-side failures are logged, with the request's id when `log` does not carry it already.
 */
export function renderError(res: ServerResponse, err: unknown, log: Logger, requestId?: string): void {
  const appError = toAppError(err);
  if (appError.status >= 500) {
    const line = { err: loggableError(err) };
    log.error(requestId === undefined ? line : { reqId: requestId, ...line }, "request failed");
  }
  sendError(res, appError);
}

/**
 * Writes an error in the contract's shape on Node's own response (express's or not), or cuts the
 * connection when an answer has already begun: nothing else can be said then.
 */
export function sendError(res: ServerResponse, appError: AppError): void {
  // Already answered in full: nothing more to say, and the connection must keep what was written.
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
  const body = JSON.stringify(errorBody(appError.code, appError.message, appError.param));
  res.statusCode = appError.status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  // Set explicitly, as express's res.json does: Node leaves it out of an answer to HEAD.
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number };
  // Errors raised by express.json() / raw-body.
  if (e?.type === "entity.parse.failed")
    return new AppError("invalid_json", "Request body is not valid JSON");
  if (e?.type === "entity.too.large") return new AppError("payload_too_large", "Request body is too large");
  if (e?.type === "encoding.unsupported" || e?.type === "charset.unsupported") {
    return new AppError("unsupported_media_type", "Unsupported body encoding");
  }
  if (e?.type === "request.aborted") return new AppError("validation_failed", "Request aborted");
  // Text PostgreSQL cannot store (a NUL, say) that got past validation is the client's input at fault.
  const pgCode = postgresCodeOf(err);
  if (pgCode === "22021" || pgCode === "22P05") {
    return new AppError("validation_failed", "The request contains characters that cannot be stored");
  }
  if (isDependencyDown(err)) {
    return serviceUnavailable();
  }
  const status = e?.status ?? e?.statusCode;
  if (status === 400) return new AppError("validation_failed", "Malformed request");
  return new AppError("internal_error", "Internal server error");
}

// What PostgreSQL (postgres.js, or drizzle around it) and Redis (ioredis) fail with when they cannot
// be reached or are going away, as opposed to a query that is wrong: the client can retry, so 503.
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);
// SQLSTATE: connection exceptions (class 08, but not 08P01, a protocol violation: a bug, not an
// outage), too many connections, and the server shutting down or starting up.
const POSTGRES_UNAVAILABLE = /^(0800[0-7]|53300|57P0[1-3])$/;
const REDIS_UNAVAILABLE =
  /^(Connection is closed|Command timed out|Stream isn't writeable|Reached the max retries)/;

/** True when an error (or the error it wraps) says PostgreSQL or Redis cannot be reached right now. */
export function isDependencyDown(err: unknown): boolean {
  type Failure = { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  let e = err as Failure | undefined;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as Failure | undefined) {
    const code = typeof e.code === "string" ? e.code : "";
    if (UNREACHABLE.has(code) || POSTGRES_UNAVAILABLE.test(code)) return true;
    if (e.name === "MaxRetriesPerRequestError") return true;
    if (typeof e.message === "string" && REDIS_UNAVAILABLE.test(e.message)) return true;
  }
  return false;
}
