import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import { accessLoggerFor, type Logger } from "../logging/logger.js";
import type { AppDeps } from "./deps.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The request id: the client's sane `x-request-id`, else a fresh UUID; also sent back. */
    id: string;
    /** A logger whose lines carry `reqId`; made on first use only (most requests never log). */
    log: Logger;
  }
}

// A client's own request id is kept when it is sane (short, printable), so traces can be joined up;
// anything else is replaced, so that a header cannot inject into logs.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const LOGGER = Symbol("keyward.logger");
const CHILD = Symbol("keyward.childLogger");
type ContextRequest = IncomingMessage & { [LOGGER]?: Logger; [CHILD]?: Logger };
const patchedPrototypes = new WeakSet<object>();

/**
 * `req.log` as an accessor on the app's request prototype (set once), so a request that logs nothing
 * (nearly all of them) allocates no child logger, and request objects keep one shape.
 */
function installLazyLog(req: IncomingMessage): void {
  const proto = Object.getPrototypeOf(req) as object;
  if (patchedPrototypes.has(proto)) return;
  patchedPrototypes.add(proto);
  Object.defineProperty(proto, "log", {
    configurable: true,
    get(this: ContextRequest) {
      let child = this[CHILD];
      if (!child) {
        const base = this[LOGGER];
        if (!base) return undefined;
        child = base.child({ reqId: this.id });
        this[CHILD] = child;
      }
      return child;
    },
    set(this: ContextRequest, value: Logger) {
      this[CHILD] = value;
    },
  });
}

/** The id to use for a request, set as its `x-request-id` response header. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  req.id = id;
  res.setHeader("x-request-id", id);
  return id;
}

/** The path of a request-target without its query string (keys or tokens may sit there). */
export function pathOf(url: string | undefined): string {
  const raw = url ?? "";
  const queryAt = raw.indexOf("?");
  return queryAt === -1 ? raw : raw.slice(0, queryAt);
}

/**
 * The status a finished exchange is logged and counted with: the one sent, or 499 (nginx's "client
 * closed request") when the client went away before any answer was sent; `res.statusCode` alone
 * would still say 200 then.
 */
export function answeredStatus(res: ServerResponse): number {
  return res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST;
}

const CLIENT_CLOSED_REQUEST = 499;

/**
 * Request id and one access line per request, written when the response ends (or the client goes):
 * only what helps an operator, never headers, bodies or query strings. The client's address is the
 * one `trust proxy` (TRUST_PROXY) decides. Server errors are logged at `error`. `logger` is the
 * access logger (no redaction pass: none of these fields is a secret's name).
 */
export function logAccess(
  logger: Logger,
  req: IncomingMessage & { originalUrl?: string },
  ip: string | undefined,
  res: ServerResponse,
  responseTimeMs: number,
): void {
  const status = answeredStatus(res);
  const line = {
    reqId: req.id,
    req: { id: req.id, method: req.method, path: pathOf(req.originalUrl ?? req.url), ip },
    res: { statusCode: status },
    responseTime: responseTimeMs,
  };
  if (status >= 500) logger.error(line, "request errored");
  else logger.info(line, "request completed");
}

export function requestContext(deps: AppDeps): RequestHandler {
  const logger = deps.logger;
  const access = accessLoggerFor(logger);
  return (req, res, next) => {
    installLazyLog(req);
    (req as ContextRequest)[LOGGER] = logger;
    assignRequestId(req, res);
    const started = Date.now();
    res.once("close", () => logAccess(access, req, req.ip, res, Date.now() - started));
    next();
  };
}
