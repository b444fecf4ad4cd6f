import type { RequestHandler } from "express";
import { createUpstream } from "../../proxy/forward.js";
import { createGateway } from "../../proxy/gateway.js";
import type { AppDeps } from "../deps.js";

/**
 * True for `/v1`, `/v1/…` and `/v1?…`, in any case: the targets express's `app.use("/v1")` matched.
 * Checked by hand, so /v1 needs no router, path matching or prefix trimming per request.
 */
export function isV1Target(url: string): boolean {
  if (url.length < 3 || url.charCodeAt(0) !== 47 || url.charCodeAt(2) !== 49) return false; // "/", "1"
  const v = url.charCodeAt(1);
  if (v !== 118 && v !== 86) return false; // "v", "V"
  if (url.length === 3) return true;
  const next = url.charCodeAt(3);
  return next === 47 || next === 63; // "/", "?"
}

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
