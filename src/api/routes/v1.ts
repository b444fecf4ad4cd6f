import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from "express";
import { createUpstream } from "../../proxy/forward.js";
import { createGateway } from "../../proxy/gateway.js";
import { isV1Target } from "../../proxy/gateway-routes.js";
import type { AppDeps } from "../deps.js";

/**
 * The /v1 gateway: authenticate the key, check permission and rate limit, stream to the upstream.
 * Mounted before helmet and every router: /v1 answers are JSON or event streams for API clients, so
 * of helmet's headers only `x-content-type-options: nosniff` applies; the rest (CSP, frame and
 * cross-origin policies, HSTS) is for browsers loading pages and stays on every other path.
 */
export function v1Router(deps: AppDeps): RequestHandler {
  const gateway = createGateway(deps, createUpstream(deps.config));
  const handle = gateway.handle;
  return (req, res, next) => {
    if (!isV1Target(req.url)) {
      next();
      return;
    }
    res.setHeader("x-content-type-options", "nosniff");
    return handle(req, res, next);
  };
}

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (err?: unknown) => void) => void;

/**
 * Sends /v1 requests past express's router: they get what the app's own entry would give them (the
 * app's request and response prototypes, `res.locals`, `req.originalUrl`), then run the request
 * context, the metrics and the gateway directly, with `onError` rendering failures. Every other request
 * goes through express as usual; the same handlers stay mounted there, so both paths behave alike.
 */
export function dispatchV1First(
  app: Express,
  handlers: {
    context: RequestHandler;
    metrics: RequestHandler;
    v1: RequestHandler;
    onError: ErrorRequestHandler;
  },
): void {
  const viaExpress = (app as unknown as { handle: Handle }).handle.bind(app);
  const { context, metrics, v1, onError } = handlers;
  (app as unknown as { handle: Handle }).handle = (rawReq, rawRes, callback) => {
    if (!isV1Target(rawReq.url ?? "")) {
      viaExpress(rawReq, rawRes, callback);
      return;
    }
    Object.setPrototypeOf(rawReq, app.request);
    Object.setPrototypeOf(rawRes, app.response);
    const req = rawReq as Request;
    const res = rawRes as Response;
    req.res = res;
    res.req = req;
    if (!res.locals) res.locals = Object.create(null);
    req.originalUrl = req.originalUrl || req.url;
    req.baseUrl = "";
    const fail = (err: unknown) => onError(err, req, res, () => {});
    const next = (err?: unknown) => {
      // The gateway answers every /v1 target itself; reaching here without an error is a bug.
      fail(err ?? new Error("the /v1 gateway passed a request on"));
    };
    try {
      context(req, res, () =>
        metrics(req, res, () => {
          const pending = v1(req, res, next) as unknown;
          if (pending instanceof Promise) pending.catch(fail);
        }),
      );
    } catch (err) {
      fail(err);
    }
  };
}
