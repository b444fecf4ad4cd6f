import type { Request, RequestHandler } from "express";
import { answeredStatus } from "../api/request-context.js";
import type { Metrics } from "./metrics.js";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// A mount-path segment kept as is in a label; anything else (an id, an odd spelling) becomes ":param"
// so that a label never carries a value from the request.
const PLAIN_SEGMENT = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Times every request express serves (/v1 has its own lane, which records the same series, labelled
 * by its own route table, and counts its outcomes). Labels use the express route pattern
 * ("/admin/keys/:id"), never the raw URL: ids and query strings would explode the series count, and
 * a URL may carry what must not be stored.
 */
export function recordHttpMetrics(metrics: Metrics): RequestHandler {
  const durationFor = keptChildren((...values) => metrics.httpDuration.labels(...values));
  return (req, res, next) => {
    const started = performance.now();
    trackMatchedRoutes(req);
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      const route = (req as TrackedRequest)[MATCHED] ?? "unmatched";
      durationFor(methodLabel(req.method), route, String(answeredStatus(res))).observe(seconds);
    });
    next();
  };
}

/**
 * A metric's child for given label values, made once and kept: prom-client's labels() parses and
 * validates its arguments on every call, a kept child skips that (its observations still hash the
 * label set, inside prom-client).
 */
export function keptChildren<Child>(labels: (...values: string[]) => Child): (...values: string[]) => Child {
  const children = new Map<string, Child>();
  return (...values) => {
    const id = values.join("\u0000");
    let child = children.get(id);
    if (!child) {
      child = labels(...values);
      children.set(id, child);
    }
    return child;
  };
}

/** The method label: one of the usual methods, else "OTHER" (a label never holds client input). */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : "OTHER";
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
