import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import { type ErrorCode, errorBody, errorStatus } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";

// The web process's HTTP server. Requests Node's parser refuses never reach the app: headers over
// Node's limit (16 KiB), a malformed request line or header, Content-Length beside chunked encoding,
// a request too slow to arrive. Node would answer those with a bare status line and no body; here
// they get what every other answer gets: the contract's JSON error and an x-request-id.

/** The answer to a request the HTTP parser refused, by the parser's error code. */
function refusal(code: string | undefined): { code: ErrorCode; message: string } {
  if (code === "HPE_HEADER_OVERFLOW") {
    return {
      code: "headers_too_large",
      message: "Request headers are too large (16 KiB at most, request line included)",
    };
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return { code: "request_timeout", message: "The request did not arrive in time" };
  }
  return { code: "validation_failed", message: "Malformed HTTP request" };
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * Answers a request the parser refused on the raw socket, then closes the connection. `answering` is
 * the response last begun on that socket, if any.
 */
function answerClientError(
  err: Error & { code?: string },
  socket: Duplex,
  answering: ServerResponse | undefined,
  logger?: Logger,
): void {
  // The client is already gone, or an answer on this connection has begun and not finished (the
  // parser can fail in a body the app is already answering, a stream say): only the cut is left.
  const answerUnderWay = answering?.headersSent && !answering.writableFinished;
  if (err.code === "ECONNRESET" || !socket.writable || answerUnderWay) {
    socket.destroy();
    return;
  }
  const { code, message } = refusal(err.code);
  const status = errorStatus[code];
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(code, message));
  logger?.info({ reqId: requestId, parserError: err.code, status }, "request refused by the HTTP parser");
  // Then the connection is closed from this side, as Node's own answer does: a client that never
  // closes (or never reads) must not keep it, least of all one refused for being too slow.
  const backstop = setTimeout(() => socket.destroy(), CLOSE_BACKSTOP_MS);
  backstop.unref();
  socket.once("close", () => clearTimeout(backstop));
  socket.end(
    [
      `HTTP/1.1 ${status} ${REASONS[status]}`,
      "content-type: application/json; charset=utf-8",
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      "x-content-type-options: nosniff",
      "connection: close",
      "",
      body,
    ].join("\r\n"),
    () => socket.destroy(),
  );
}

/**
 * The queue of connections the kernel accepts while the process is busy: Node's default (511) is
 * overrun when a thousand clients open streams at once, and a dropped connection attempt is retried
 * by the client only a second later. The kernel caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/** How long a refused connection may take to take its answer before it is cut anyway. */
const CLOSE_BACKSTOP_MS = 2_000;

/** The web server: the app, Heroku-friendly keep-alive timeouts, and JSON answers to parser refusals. */
export function createWebServer(app: RequestListener, logger?: Logger): Server {
  const server = createServer(app);
  // The response each connection is answering, for a parser failure in the middle of it.
  const answering = new WeakMap<Duplex, ServerResponse>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => answering.set(req.socket, res));
  // Heroku's router keeps connections open for 90 s; stay above it so it never hits a closed socket.
  server.keepAliveTimeout = 95_000;
  server.headersTimeout = 96_000;
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) =>
    answerClientError(err, socket, answering.get(socket), logger),
  );
  return server;
}
