import type { RequestHandler } from "express";
import type { Exchanges } from "../http/exchange.js";
import type { Logger } from "../logging/logger.js";

declare module "express-serve-static-core" {
  interface Request {
    /** A logger whose lines carry the request's id. */
    log: Logger;
    /** The client's address, read by http/client-ip.ts as the gateway reads it (TRUST_PROXY). */
    clientIp: string | undefined;
  }
}

/**
 * Express's side of the shared exchange (http/exchange.ts): the request id, the client's address, the
 * access line, and the duration labelled by the express route that matched ("/admin/keys/:id"), never
 * by the raw URL.
 */
export function requestContext(exchanges: Exchanges, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const { id, ip } = exchanges.begin(req, res, (end) =>
      exchanges.recordDuration(req.method, routeLabel(req.originalUrl, req.route?.path, req.baseUrl), end),
    );
    req.log = logger.child({ reqId: id });
    req.clientIp = ip;
    next();
  };
}

// A segment of the matched request's path kept as is in a label; anything else (an id, an odd
// spelling) becomes ":param" so that a label never carries a value from the request.
const PLAIN_SEGMENT = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The label of a request express routed: the path the route's routers were mounted at, then the
 * route's own pattern. The mount path is read off the request's path (the segments before the ones
 * the route's pattern matched), because express restores `req.baseUrl` once an error leaves a
 * router, before the response ends. A pattern with a wildcard matches any number of segments: its
 * mount path is `baseUrl` as it is at the end (such routers are mounted at the root).
 */
export function routeLabel(originalUrl: string, routePath: unknown, baseUrl: string): string {
  if (typeof routePath !== "string") return "unmatched";
  if (routePath.includes("*")) return joinPattern(sanitize(baseUrl.split("/")).join("/"), routePath);
  let path = originalUrl.split("?")[0] ?? "";
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const segments = path === "/" ? [] : path.split("/").slice(1);
  const routeSegments = routePath.split("/").filter((s) => s !== "").length;
  const base = sanitize(segments.slice(0, Math.max(0, segments.length - routeSegments)))
    .map((segment) => `/${segment}`)
    .join("");
  return joinPattern(base, routePath);
}

function sanitize(segments: string[]): string[] {
  return segments.map((segment) => {
    const lower = segment.toLowerCase();
    return lower === "" || PLAIN_SEGMENT.test(lower) ? lower : ":param";
  });
}

/** "/admin/keys" + "/" is "/admin/keys": a router's root route is named by its mount path. */
function joinPattern(base: string, routePath: string): string {
  const joined = base + routePath;
  return joined.length > 1 && joined.endsWith("/") ? joined.slice(0, -1) : joined;
}
