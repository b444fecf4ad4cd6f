import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { Upstream, UpstreamFailure } from "../upstreams/upstream.js";
import type { TapFor } from "../usage/response-tap.js";
import { type AbortSource, AnswerRelay, type ForwardResult, type UpstreamHeaders } from "./answer-relay.js";

export type { ForwardResult } from "./answer-relay.js";

// Sends a /v1 request to one upstream and streams its answer back, untouched: the body goes as the
// bytes read (never re-serialised), SSE chunks are written as they arrive, redirects are passed back
// rather than followed. The client's credentials, cookies, hop-by-hop headers and any claim about who
// or where it is go no further: the upstream learns the key, the account and the client's address from
// keyward's own headers.

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
// Never sent upstream: the client's key (replaced by the upstream's own), its cookies, the Host of this
// gateway, Expect (undici does not do 100-continue; the body follows at once anyway), the length (undici
// sets it from the body it sends), and what a client could forge about itself or how it came (any
// x-forwarded-* header too, and keyward's own identity headers: replaced below). Accept-Encoding is
// replaced by identity: the usage tap reads and edits the answer's bytes, and a compressed answer
// (vLLM behind a proxy that gzips what the client accepts) could be neither counted nor stripped of
// the usage-only chunk keyward asked for, which would then reach a client that did not ask for it.
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  "host",
  "authorization",
  "x-api-key",
  "cookie",
  "expect",
  "content-length",
  "accept-encoding",
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "true-client-ip",
  "cf-connecting-ip",
  "fastly-client-ip",
]);
const IDENTITY_PREFIX = "x-keyward-";
const FORWARDED_PREFIX = "x-forwarded-";
// Never passed back: the upstream's cookies, and headers this gateway owns.
const NOT_RETURNED = new Set([...HOP_BY_HOP, "set-cookie", "x-request-id"]);

/** What the gateway's forwarding needs from the configuration. */
export type UpstreamConfig = Pick<
  Config,
  | "upstreams"
  | "upstreamTimeoutMs"
  | "proxyBodyLimitBytes"
  | "proxyAudioBodyLimitBytes"
  | "trustProxyHops"
  | "v1CorsOrigins"
>;

export function tooLargeError(limit: number): AppError {
  // The unread rest of the body is not drained: the connection closes after this answer.
  return new AppError("payload_too_large", `Request body is larger than the limit of ${limit} bytes`, {
    headers: { connection: "close" },
  });
}

/** True when a declared Content-Length is already over the limit. */
export function declaresTooLarge(headers: IncomingHttpHeaders, limit: number): boolean {
  const declared = Number(headers["content-length"] ?? 0);
  return Number.isFinite(declared) && declared > limit;
}

const NONE: ReadonlySet<string> = new Set();

/** The headers a Connection header names: hop-by-hop for this one message, so not passed on either. */
function namedByConnection(connection: string | string[] | undefined): ReadonlySet<string> {
  // Nearly every message says nothing, "keep-alive" or "close": those name no other header.
  if (connection === undefined || connection === "keep-alive" || connection === "close") return NONE;
  return new Set(
    String(connection)
      .split(",")
      .map((t) => t.trim().toLowerCase()),
  );
}

/** Who is calling, as keyward established it: sent upstream in keyward's own headers. */
export interface CallerIdentity {
  keyId: string;
  accountId: string;
  clientIp: string | undefined;
}

function upstreamHeaders(
  req: IncomingMessage,
  requestId: string,
  apiKey: string | undefined,
  caller: CallerIdentity | undefined,
) {
  const from = req.headers;
  const named = namedByConnection(from.connection);
  const headers: Record<string, string | string[]> = {};
  for (const name in from) {
    const value = from[name];
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    if (name.startsWith(IDENTITY_PREFIX) || name.startsWith(FORWARDED_PREFIX)) continue;
    headers[name] = value;
  }
  headers["x-request-id"] = requestId;
  headers["accept-encoding"] = "identity";
  if (caller) {
    headers["x-keyward-key-id"] = caller.keyId;
    headers["x-keyward-account-id"] = caller.accountId;
  }
  if (caller?.clientIp) headers["x-forwarded-for"] = caller.clientIp;
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return headers;
}

function copyResponseHeaders(from: UpstreamHeaders, res: ServerResponse): void {
  const named = namedByConnection(from.connection);
  for (const name in from) {
    const value = from[name];
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    // Rate-limit headers are this gateway's: the upstream's own would contradict them. So is CORS
    // (vLLM allows every origin by default): V1_CORS_ORIGINS alone decides which browsers may read.
    if (name.startsWith("x-ratelimit-") || name.startsWith("access-control-")) continue;
    res.setHeader(name, value);
  }
}

/**
 * Raised when the client goes away before its answer is complete: the caller raises it from the
 * response's "close" when the response had not finished, and the relay aborts the upstream request.
 */
export class ClientGone extends EventEmitter implements AbortSource {
  aborted = false;
  raise(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}

/** What the front door knows of a /v1 request before the gateway sees it. */
export interface V1Call {
  requestId: string;
  /** The client's address, as TRUST_PROXY decides it (read once per request, by the exchange). */
  clientIp: string | undefined;
  /** Raised by whoever sees the client go away. */
  gone: ClientGone;
}

/** Forwards one request. Resolves once the answer is relayed to its end (or the client went away). */
export function forwardToUpstream(
  upstream: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  target: {
    path: string;
    requestId: string;
    gone: ClientGone;
    body: Buffer | undefined;
    caller: CallerIdentity | undefined;
    tap?: TapFor;
  },
): Promise<ForwardResult> {
  // Gone before it could be sent (while its key was checked, its body read, or it waited for a slot at
  // a busy upstream): nothing is sent upstream, and the metering is told so (unsent).
  if (target.gone.aborted)
    return Promise.resolve({ outcome: "client_aborted", upstreamMs: undefined, unsent: true });
  return new Promise((resolve) => {
    const relay = new AnswerRelay(res, { gone: target.gone, startAnswer, tap: target.tap }, resolve);
    upstream.pool.dispatch(
      {
        path: upstream.basePath + target.path,
        method: req.method as "GET" | "POST",
        headers: upstreamHeaders(req, target.requestId, upstream.apiKey, target.caller),
        body: target.body,
      },
      relay,
    );
  });
}

/** The answer's status and headers, as the client will see them. */
function startAnswer(res: ServerResponse, statusCode: number, headers: UpstreamHeaders): void {
  res.statusCode = statusCode;
  copyResponseHeaders(headers, res);
}

/** One line per failed upstream call: an expected network failure needs its code, not a stack trace. */
export function logFailedCall(
  logger: Logger,
  context: { reqId: string; upstream: string; model?: string },
  result: { failure: UpstreamFailure; err: unknown },
): void {
  const err = result.err as { code?: string; message?: string } | undefined;
  logger.warn(
    { ...context, failure: result.failure, cause: { code: err?.code, message: err?.message } },
    "upstream call failed",
  );
}
