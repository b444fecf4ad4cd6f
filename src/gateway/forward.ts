import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { Transform, type TransformCallback } from "node:stream";
import { Pool } from "undici";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";

// Streams a /v1 request to the upstream and its answer back, untouched: the body is piped (never
// parsed or re-serialised), SSE chunks are written as they arrive, redirects are passed back rather
// than followed. The client's credentials, cookies and hop-by-hop headers go no further.

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
// Never sent upstream: the client's key (replaced by UPSTREAM_API_KEY), its cookies, the Host of this
// gateway, and Expect (undici does not do 100-continue; the body follows at once anyway).
const NOT_FORWARDED = new Set([...HOP_BY_HOP, "host", "authorization", "x-api-key", "cookie", "expect"]);
// Never passed back: the upstream's cookies, and headers this gateway owns.
const NOT_RETURNED = new Set([...HOP_BY_HOP, "set-cookie", "x-request-id"]);

export interface Upstream {
  pool: Pool;
  basePath: string;
  apiKey: string | undefined;
  bodyLimitBytes: number;
  close(): Promise<void>;
}

export type UpstreamConfig = Pick<
  Config,
  "upstreamUrl" | "upstreamApiKey" | "upstreamTimeoutMs" | "proxyBodyLimitBytes"
>;

export function createUpstream(config: UpstreamConfig): Upstream {
  const url = new URL(config.upstreamUrl);
  const pool = new Pool(url.origin, {
    connections: 256,
    keepAliveTimeout: 30_000,
    // Time to the upstream's response headers; once a (possibly long) stream has started, no timeout.
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: 0,
    connectTimeout: Math.min(config.upstreamTimeoutMs, 10_000),
  });
  return {
    pool,
    basePath: url.pathname.replace(/\/+$/, ""),
    apiKey: config.upstreamApiKey,
    bodyLimitBytes: config.proxyBodyLimitBytes,
    close: () => pool.close(),
  };
}

class BodyTooLarge extends Error {}

/** Passes the body through, failing as soon as it grows past the limit (chunked bodies included). */
class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new BodyTooLarge());
    else done(null, chunk);
  }
}

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

function upstreamHeaders(req: IncomingMessage, requestId: string, apiKey: string | undefined) {
  const from = req.headers;
  const named = namedByConnection(from.connection);
  const headers: Record<string, string | string[]> = {};
  for (const name in from) {
    const value = from[name];
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    headers[name] = value;
  }
  headers["x-request-id"] = requestId;
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return headers;
}

function copyResponseHeaders(from: IncomingHttpHeaders, res: ServerResponse): void {
  const named = namedByConnection(from.connection);
  for (const name in from) {
    const value = from[name];
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    // Rate-limit headers are this gateway's: the upstream's own would contradict them.
    if (name.startsWith("x-ratelimit-")) continue;
    res.setHeader(name, value);
  }
}

/**
 * The upstream request's signal, raised when the client goes away before its answer is complete.
 * undici takes an EventEmitter with `aborted` as well as an AbortSignal, and this is far cheaper to
 * make per request than an AbortController (an EventTarget). Once the answer has begun, undici also
 * aborts the upstream request itself when the response it writes into is destroyed. The caller raises
 * it from the response's "close" when the response had not finished.
 */
export class ClientGone extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  raise(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}

/**
 * How a forwarded request ended; `upstreamMs` is the upstream's time to response headers, once known.
 * "failed" comes only while nothing has been sent to the client yet: its error is to be answered.
 */
export type ForwardResult =
  | { outcome: "ok"; upstreamMs: number }
  | { outcome: "client_aborted"; upstreamMs: number | undefined }
  | { outcome: "failed"; error: AppError };

/** Forwards one request. Resolves once the response is fully written (or the client went away). */
export async function forwardToUpstream(
  upstream: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  target: { path: string; requestId: string; gone: ClientGone },
): Promise<ForwardResult> {
  const gone = target.gone;
  // Gone while its key was being checked: nothing is sent upstream.
  if (gone.aborted) return { outcome: "client_aborted", upstreamMs: undefined };

  let body: IncomingMessage | BodyLimit | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    if (req.headers["content-length"] !== undefined) {
      // Node's parser delivers exactly the declared length (more bytes would be the next request), and
      // a declared length over the limit was refused before this: the body goes as it is, uncounted.
      body = req;
    } else {
      // Chunked: nothing says how long it is until it ends, so it is counted on the way.
      body = new BodyLimit(upstream.bodyLimitBytes);
      req.pipe(body);
    }
  }
  const started = performance.now();
  let upstreamMs: number | undefined;
  try {
    await upstream.pool.stream(
      {
        path: upstream.basePath + target.path,
        method: req.method as "GET" | "POST",
        headers: upstreamHeaders(req, target.requestId, upstream.apiKey),
        body,
        signal: gone,
      },
      ({ statusCode, headers }) => {
        upstreamMs = performance.now() - started;
        res.statusCode = statusCode;
        copyResponseHeaders(headers, res);
        // Event streams: the client should see the status at once, before the first event.
        if (String(headers["content-type"] ?? "").startsWith("text/event-stream")) res.flushHeaders();
        // The upstream's body is written into `res` as it arrives: a tap on the answer goes here.
        return res;
      },
    );
    // The answer has been written to its end: what observes the end of the answer goes here.
    return { outcome: "ok", upstreamMs: upstreamMs ?? 0 };
  } catch (err) {
    if (gone.aborted) return { outcome: "client_aborted", upstreamMs };
    if (res.headersSent) {
      // The upstream failed mid-answer: nothing can be said to the client any more but the cut.
      res.destroy();
      return { outcome: "ok", upstreamMs: upstreamMs ?? 0 };
    }
    if (err instanceof BodyTooLarge)
      return { outcome: "failed", error: tooLargeError(upstream.bodyLimitBytes) };
    const code = (err as { code?: string }).code;
    const error =
      code === "UND_ERR_HEADERS_TIMEOUT"
        ? new AppError("upstream_timeout", "The upstream did not answer in time")
        : new AppError("upstream_unavailable", "The upstream could not be reached");
    return { outcome: "failed", error };
  }
}
