import type { IncomingMessage, ServerResponse } from "node:http";
import type { Express } from "express";
import proxyaddr from "proxy-addr";
import { loggableError } from "../../errors/loggable-error.js";
import { accessLoggerFor } from "../../logging/logger.js";
import { keptChildren, methodLabel } from "../../metrics/http-metrics.js";
import type { Metrics } from "../../metrics/metrics.js";
import { ClientGone, createUpstream } from "../../proxy/forward.js";
import { createGateway, type Gateway, type V1Outcome } from "../../proxy/gateway.js";
import { isV1Target } from "../../proxy/gateway-routes.js";
import type { AppDeps } from "../deps.js";
import { sendError, toAppError } from "../error-handler.js";
import { answeredStatus, assignRequestId, logAccess } from "../request-context.js";

// The /v1 lane: API traffic is served on Node's own request and response, beside express rather than
// through it. Express gives each request its own prototypes (Object.setPrototypeOf on the request and
// the response), which deoptimises Node's HTTP internals for every object that passes through them;
// measured on this machine, that alone more than doubled the CPU time of a bare Node answer. /v1 needs
// none of what express adds: it has its own closed route table, streams bodies untouched (no parser),
// and of helmet's headers only `x-content-type-options: nosniff` applies to JSON and event streams for
// API clients (CSP, frame and cross-origin policies, HSTS are for browsers loading pages; every other
// path keeps them). What the app's middleware gives every request, the lane gives too: the request id,
// one access line, the duration histogram and the /v1 outcome count.

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (err?: unknown) => void) => void;

export interface V1Lane {
  (req: IncomingMessage, res: ServerResponse): void;
  gateway: Gateway;
}

/** Builds the lane; `clientIp` is the address `trust proxy` (TRUST_PROXY) decides, for the log line. */
export function createV1Lane(
  deps: AppDeps,
  metrics: Metrics,
  clientIp: (req: IncomingMessage) => string | undefined,
): V1Lane {
  const gateway = createGateway(deps, createUpstream(deps.config));
  const access = accessLoggerFor(deps.logger);
  const durationFor = keptChildren((...values) => metrics.httpDuration.labels(...values));
  const outcomeCount = keptChildren((...values) => metrics.v1Requests.labels(...values));
  const upstreamTime = keptChildren((...values) => metrics.upstreamDuration.labels(...values));

  function record(req: IncomingMessage, state: V1Outcome, status: number, seconds: number): void {
    const route = state.route ?? "unmatched";
    durationFor(methodLabel(req.method), route, String(status)).observe(seconds);
    outcomeCount(state.outcome ?? (status < 400 ? "ok" : `http_${status}`)).inc();
    if (state.upstreamMs !== undefined && Number.isFinite(state.upstreamMs)) {
      upstreamTime(route).observe(state.upstreamMs / 1000);
    }
  }

  const lane = ((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = assignRequestId(req, res);
    res.setHeader("x-content-type-options", "nosniff");
    const state: V1Outcome = {
      gone: new ClientGone(),
      outcome: undefined,
      upstreamMs: undefined,
      route: undefined,
    };
    // The metrics take the status and time at the response's end (as the access line does) and the
    // gateway's outcome when it has one, whichever comes last.
    let waiting = 2;
    let status = 0;
    let seconds = 0;
    const settle = () => {
      if (--waiting === 0) record(req, state, status, seconds);
    };
    // One listener for everything the response's end means: the access line, the metrics, and the
    // upstream request's abort when the client went away before its answer was complete.
    res.once("close", () => {
      if (!res.writableFinished) state.gone.raise();
      status = answeredStatus(res);
      const elapsedMs = performance.now() - started;
      seconds = elapsedMs / 1000;
      logAccess(access, req, clientIp(req), res, Math.round(elapsedMs));
      settle();
    });
    gateway.serve(req, res, requestId, state).then(settle, (err: unknown) => {
      const appError = toAppError(err);
      if (appError.status >= 500) {
        deps.logger.error({ reqId: requestId, err: loggableError(err) }, "request failed");
      }
      sendError(res, appError);
      settle();
    });
  }) as V1Lane;
  lane.gateway = gateway;
  return lane;
}

/**
 * Sends /v1 requests to the lane before express sees them; every other request goes through express
 * as usual. `app(req, res)` (what http.createServer and supertest call) ends in `app.handle`.
 */
export function dispatchV1First(app: Express, lane: V1Lane): void {
  const viaExpress = (app as unknown as { handle: Handle }).handle.bind(app);
  (app as unknown as { handle: Handle }).handle = (req, res, callback) => {
    if (isV1Target(req.url ?? "")) lane(req, res);
    else viaExpress(req, res, callback);
  };
}

/** The client's address as express's `req.ip` gives it, for requests that never meet express. */
export function clientIpOf(
  app: Express,
  trustProxyHops: number,
): (req: IncomingMessage) => string | undefined {
  // Trusting no proxy, the address is the socket's: no X-Forwarded-For to parse.
  if (trustProxyHops === 0) return (req) => req.socket?.remoteAddress;
  const trust = app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  return (req) => {
    try {
      return proxyaddr(req, trust);
    } catch {
      return req.socket?.remoteAddress;
    }
  };
}
