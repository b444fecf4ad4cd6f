import { isUtf8 } from "node:buffer";
import express, { type RequestHandler, Router } from "express";
import { createAbuseLimits } from "../../accounts/abuse-limits.js";
import { AppError } from "../../errors/app-error.js";
import { isBearerScheme } from "../../http/bearer.js";
import type { UpstreamSet } from "../../upstreams/upstream-set.js";
import { adminDeadline } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { SESSION_COOKIE } from "../session-auth.js";
import { accountsRouter } from "./accounts.js";
import { auditEventsRouter } from "./audit-events.js";
import { docsRouter } from "./docs.js";
import { keysRouter } from "./keys.js";
import { meRouter } from "./me.js";
import { meEmailRouter } from "./me-email.js";
import { meTotpRouter } from "./me-totp.js";
import { modelsRouter } from "./models.js";
import { permissionsRouter } from "./permissions.js";
import { sessionsRouter } from "./sessions.js";
import { usageRouter } from "./usage.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Everything under /admin: JSON bodies only, CSRF checks, then the feature routers. */
export function adminRouter(deps: AppDeps & { upstreams: UpstreamSet }): Router {
  const router = Router();
  router.use(adminDeadline(deps));
  router.use(requireJsonBody);
  // Not strict: any JSON value parses (`null`, `"text"`), and the route's schema then says what it
  // expected, rather than calling valid JSON invalid.
  router.use(
    express.json({
      limit: "64kb",
      strict: false,
      type: () => true,
      verify: refuseNonUtf8,
      reviver: refuseLoneSurrogates,
    }),
  );
  // keyward's own origin is always allowed: the bundled console and the docs page's "Try it out".
  router.use(rejectCrossSiteWrites([deps.config.publicOrigin, ...deps.config.consoleOrigins]));
  // One set of abuse limits for the app: login, the second factor, the password change and the email
  // requests count against the same per-email and per-IP budgets.
  const limits = createAbuseLimits(deps.redis, deps.config.redisPrefix);
  router.use(accountsRouter(deps, limits));
  router.use(sessionsRouter(deps, limits));
  router.use(meRouter(deps, limits));
  router.use(meTotpRouter(deps, limits));
  router.use(meEmailRouter(deps, limits));
  router.use(docsRouter(deps));
  router.use("/keys", keysRouter(deps));
  router.use("/permissions", permissionsRouter(deps));
  router.use("/models", modelsRouter(deps));
  router.use("/audit-events", auditEventsRouter(deps));
  router.use("/usage", usageRouter(deps));
  return router;
}

/** A state-changing request with a body must declare it as JSON (415 otherwise). */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!STATE_CHANGING.has(req.method)) return next();
  const hasBody =
    req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  if (!hasBody) return next();
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new AppError(
      "unsupported_media_type",
      "Request body must be JSON (Content-Type: application/json)",
    );
  }
  next();
};

/**
 * JSON is UTF-8 (RFC 8259). Decoded leniently, every invalid byte would become U+FFFD: a name stored
 * as garbage, and two different Latin-1 passwords of one length taken for one password.
 */
function refuseNonUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw new AppError("invalid_json", "Request body is not valid UTF-8");
}

// Only an unpaired surrogate matches: with the u flag, a pair is one code point, not \p{Cs}.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A string escaping half a surrogate pair ("\ud800") is valid UTF-8 but not Unicode text (I-JSON,
 * RFC 7493): stored, it too would become U+FFFD. Thrown here, it is answered as invalid JSON.
 */
function refuseLoneSurrogates(_key: string, value: unknown): unknown {
  if (typeof value === "string" && LONE_SURROGATE.test(value)) throw new SyntaxError("unpaired surrogate");
  return value;
}

/**
 * CSRF: a browser attaches the session cookie to cross-site requests, so a cookie-authenticated
 * state change must come from keyward's own origin or a listed console origin. Any request announcing a foreign Origin is
 * refused too (login CSRF). Bearer-authenticated calls are not exposed to CSRF.
 */
function rejectCrossSiteWrites(allowedOrigins: string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, _res, next) => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      throw new AppError("csrf_rejected", "Origin not allowed for this request");
    }
    const bearer = isBearerScheme(req.headers.authorization);
    const cookie = (req.headers.cookie ?? "").includes(`${SESSION_COOKIE}=`);
    if (cookie && !bearer && origin === undefined) {
      throw new AppError("csrf_rejected", "A cookie-authenticated request must carry an allowed Origin");
    }
    next();
  };
}
