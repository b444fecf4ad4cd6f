import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { accessLoggerFor, type Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";

// What every HTTP exchange gets, whichever front door (express or the /v1 gateway) serves it: a
// request id (also sent back), one access line when the response ends or the client goes, and the
// duration histogram. The front door supplies the route label, which only it can know.

// A client's own request id is kept when it is sane (short, printable), so traces can be joined up;
// anything else is replaced, so that a header cannot inject into logs.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// nginx's "client closed request": the client went away before any answer was sent.
const CLIENT_CLOSED_REQUEST = 499;

/** How an exchange ended, as the access line and the metrics see it. */
export interface ExchangeEnd {
  status: number;
  seconds: number;
  /** False when the client went away before the response was completely written. */
  completed: boolean;
  /**
   * The client's address, read when the request arrived: once a client has gone, its socket may no
   * longer say where it was.
   */
  ip: string | undefined;
}

/** What the /v1 gateway adds to its access lines (ids only, never a secret). */
export interface AccessLineExtra {
  keyId?: string;
  accountId?: string;
  model?: string;
  upstream?: string;
}

export interface Exchanges {
  /**
   * Sets the request's id (sent as `x-request-id`) and reads the client's address as TRUST_PROXY
   * decides it (http/client-ip.ts), both returned; then at the response's end writes the access line
   * and calls `onEnd`: one "close" listener per request for everything.
   */
  begin(
    req: IncomingMessage,
    res: ServerResponse,
    onEnd: (end: ExchangeEnd) => void,
    options?: { accessLine: "at_end" | "by_caller" },
  ): { id: string; ip: string | undefined };
  /**
   * The access line, for a front door that writes it itself (`accessLine: "by_caller"`): the gateway
   * adds who asked and who served, which it may learn only after the response has ended.
   */
  writeAccessLine(req: IncomingMessage, id: string, end: ExchangeEnd, extra?: AccessLineExtra): void;
  /** Observes the duration histogram; `route` is a pattern or "unmatched", never a raw URL. */
  recordDuration(method: string | undefined, route: string, end: ExchangeEnd): void;
}

export function createExchanges(deps: {
  logger: Logger;
  metrics: Metrics;
  /** The client's address as `trust proxy` (TRUST_PROXY) decides it. */
  clientIp: (req: IncomingMessage) => string | undefined;
}): Exchanges {
  // The access line has fixed fields, none of them a secret's name: see accessLoggerFor.
  const access = accessLoggerFor(deps.logger);
  const durationFor = keptChildren((...values) => deps.metrics.httpDuration.labels(...values));

  function logAccess(
    req: IncomingMessage & { originalUrl?: string },
    id: string,
    status: number,
    ms: number,
    ip: string | undefined,
    extra?: AccessLineExtra,
  ) {
    const line = {
      reqId: id,
      req: { id, method: req.method, path: pathOf(req.originalUrl ?? req.url), ip },
      res: { statusCode: status },
      responseTime: ms,
      ...extra,
    };
    // A 500 is a fault (keyward's own, or an upstream's passed through); any other 5xx is an answer
    // given by design (/readyz while a dependency is down, an upstream unreachable or too slow),
    // repeated at every probe or request of an outage whose cause was logged once where it was found:
    // a warning, not an error.
    if (status === 500) access.error(line, "request errored");
    else if (status > 500) access.warn(line, "request answered with an outage status");
    else access.info(line, "request completed");
  }

  return {
    begin(req, res, onEnd, options) {
      const byCaller = options?.accessLine === "by_caller";
      const started = performance.now();
      const ip = deps.clientIp(req);
      const id = requestIdOf(req);
      res.setHeader("x-request-id", id);
      res.once("close", () => {
        const elapsedMs = performance.now() - started;
        const status = res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST;
        if (!byCaller) logAccess(req, id, status, Math.round(elapsedMs), ip);
        onEnd({ status, seconds: elapsedMs / 1000, completed: res.writableFinished, ip });
      });
      return { id, ip };
    },
    writeAccessLine(req, id, end, extra) {
      logAccess(req, id, end.status, Math.round(end.seconds * 1000), end.ip, extra);
    },
    recordDuration(method, route, end) {
      durationFor(methodLabel(method), route, String(end.status)).observe(end.seconds);
    },
  };
}

/** The client's sane `x-request-id`, else a fresh UUID. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The path of a request-target without its query string (keys or tokens may sit there). */
function pathOf(url: string | undefined): string {
  const raw = url ?? "";
  const queryAt = raw.indexOf("?");
  return queryAt === -1 ? raw : raw.slice(0, queryAt);
}

/** The method label: one of the usual methods, else "OTHER" (a label never holds client input). */
function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : "OTHER";
}

/**
 * A metric's child for given label values, made once and kept: prom-client's labels() parses and
 * validates its arguments on every call, a kept child skips that.
 */
export function keptChildren<Child>(
  labels: (...values: string[]) => Child,
): (a: string, b?: string, c?: string) => Child {
  const children = new Map<string, Child>();
  return (a, b, c) => {
    const id = b === undefined ? a : c === undefined ? `${a}\u0000${b}` : `${a}\u0000${b}\u0000${c}`;
    let child = children.get(id);
    if (!child) {
      child = b === undefined ? labels(a) : c === undefined ? labels(a, b) : labels(a, b, c);
      children.set(id, child);
    }
    return child;
  };
}
