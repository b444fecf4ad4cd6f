import type { Request, RequestHandler } from "express";
import { isV1Target } from "../proxy/gateway-routes.js";
import type { Metrics } from "./metrics.js";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// A mount-path segment kept as is in a label; anything else (an id, an odd spelling) becomes ":param"
// so that a label never carries a value from the request.
const PLAIN_SEGMENT = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Times every request and counts /v1 outcomes. Labels use the express route pattern
 * ("/admin/keys/:id"), never the raw URL: ids and query strings would explode the series count, and a
 * URL may carry what must not be stored.
 */
export function recordHttpMetrics(metrics: Metrics): RequestHandler {
  // prom-client hashes a label object on every observation; a child per label set is reused instead.
  const durations = new Map<string, { observe(seconds: number): void }>();
  const durationFor = (method: string, route: string, status: string) => {
    const id = `${method} ${status} ${route}`;
    let child = durations.get(id);
    if (!child) {
      child = metrics.httpDuration.labels(method, route, status);
      durations.set(id, child);
    }
    return child;
  };
  return (req, res, next) => {
    const started = performance.now();
    trackMatchedRoutes(req);
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      const v1 = isV1Target(req.originalUrl);
      const route =
        (req as TrackedRequest)[MATCHED] ?? (v1 ? v1Pattern(req.originalUrl) : undefined) ?? "unmatched";
      const method = KNOWN_METHODS.has(req.method) ? req.method : "OTHER";
      durationFor(method, route, String(res.statusCode)).observe(seconds);
      if (!v1) return;
      const record = () => {
        const outcome = res.locals.v1Outcome;
        metrics.v1Requests.inc({
          outcome: typeof outcome === "string" ? outcome : fallbackOutcome(res.statusCode),
        });
        const upstreamMs = res.locals.upstreamMs;
        if (typeof upstreamMs === "number" && Number.isFinite(upstreamMs)) {
          metrics.upstreamDuration.observe({ route }, upstreamMs / 1000);
        }
      };
      if (res.locals.v1Outcome !== undefined) record();
      else whenOutcomeSet(res.locals, record);
    });
    next();
  };
}

/**
 * A forwarded request's outcome is known to the gateway only once its stream has been handed over,
 * which can be just after the response's "close"; so the count waits for it (the upstream time is set
 * in the same turn, hence the microtask), and falls back to the status if it never comes.
 */
function whenOutcomeSet(locals: Record<string, unknown>, record: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    record();
  };
  const timer = setTimeout(once, 1_000);
  timer.unref();
  let value: unknown;
  Object.defineProperty(locals, "v1Outcome", {
    configurable: true,
    enumerable: true,
    get: () => value,
    set(v: unknown) {
      value = v;
      queueMicrotask(once);
    },
  });
}

const MATCHED = Symbol("keyward.matchedRoute");
const ROUTE = Symbol("keyward.route");
type TrackedRequest = Request & { [MATCHED]?: string; [ROUTE]?: unknown };
const patchedPrototypes = new WeakSet<object>();

/**
 * Express sets `req.route` when a route matches, but restores `req.baseUrl` once an error leaves the
 * router, so both are read at the moment the route is assigned, not when the response ends. The
 * accessor sits on the app's request prototype (once), so request objects keep their fast shape.
 */
function trackMatchedRoutes(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object;
  if (patchedPrototypes.has(proto)) return;
  patchedPrototypes.add(proto);
  Object.defineProperty(proto, "route", {
    configurable: true,
    get(this: TrackedRequest) {
      return this[ROUTE];
    },
    set(this: TrackedRequest, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      if (typeof value?.path === "string")
        this[MATCHED] = joinPattern(sanitizeBase(this.baseUrl), value.path);
    },
  });
}

/** "/admin/keys" + "/" is "/admin/keys": a router's root route is named by its mount path. */
function joinPattern(base: string, path: string): string {
  const joined = base + path;
  return joined.length > 1 && joined.endsWith("/") ? joined.slice(0, -1) : joined;
}

function sanitizeBase(baseUrl: string): string {
  return baseUrl
    .split("/")
    .map((segment) => {
      const lower = segment.toLowerCase();
      return segment === "" || PLAIN_SEGMENT.test(lower) ? lower : ":param";
    })
    .join("/");
}

// The gateway answers /v1 with one middleware and its own closed route table, so express matches no
// route there; its paths are named here, with the model id folded into ":id".
const V1_FIXED = new Set(["/v1/chat/completions", "/v1/embeddings", "/v1/models"]);

function v1Pattern(originalUrl: string): string | undefined {
  const path = originalUrl.split("?")[0] ?? "";
  if (V1_FIXED.has(path)) return path;
  if (path.startsWith("/v1/models/") && path.length > "/v1/models/".length) return "/v1/models/:id";
  return undefined;
}

/** Used when the proxy did not name its outcome (a request refused before it reached the proxy). */
function fallbackOutcome(status: number): string {
  return status < 400 ? "ok" : `http_${status}`;
}
