import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { AppError } from "../errors/app-error.js";
import { type Ablation, inMemoryBatch } from "./ablation.js";
import { extractApiKey } from "./api-key.js";
import type { GatewayDeps } from "./deps.js";
import {
  type ClientGone,
  createUpstream,
  declaresTooLarge,
  forwardToUpstream,
  tooLargeError,
} from "./forward.js";
import { createHotPathBatch, type HotPathBatch } from "./hot-path-batch.js";
import { createKeyAuthenticator } from "./key-authenticator.js";
import type { KeyRecord } from "./key-records.js";
import { createKeyRateLimiter, retryAfterSeconds, setRateLimitHeaders } from "./rate-limit.js";
import { type ForwardRoute, resolveV1Route, routeRefusal } from "./routes.js";

// One /v1 request, in order: the route must be in the table (404/405, no I/O); the key must be
// present, well formed and live (401; 503 only when it cannot be checked); its rate limit is taken
// (429) and its permission for the route checked (403); the body's declared size is checked (413);
// then the request is forwarded to the upstream and its answer streamed back.

const INVALID_KEY_MESSAGE = "Invalid API key provided";
const NO_PERMISSION_MESSAGE = "API key doesn't have permission for this endpoint";

/** What happened to one /v1 request; `route` is the route's pattern once the target is in the table. */
export type GatewayOutcome =
  | { kind: "forwarded"; route: string; upstreamMs: number }
  | { kind: "client_aborted"; route: string; upstreamMs: number | undefined }
  | { kind: "refused"; route: string | undefined; error: AppError };

export interface Gateway {
  /**
   * Serves one /v1 request on Node's own request and response. Resolves once the answer is handed
   * over, or with the refusal to answer (nothing has been sent then). `gone` is raised by whoever
   * sees the client go away.
   */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    gone: ClientGone,
  ): Promise<GatewayOutcome>;
}

type Admission = { ok: true; key: KeyRecord } | { ok: false; error: AppError };

export function createGateway(deps: GatewayDeps, ablation: Ablation = {}): Gateway {
  const batch = ablation.redis ? inMemoryBatch(deps.redis, deps.config.redisPrefix) : createBatch(deps);
  const authenticator = createKeyAuthenticator({
    database: deps.database,
    batch,
    logger: deps.logger,
    redisPrefix: deps.config.redisPrefix,
    tierLimits: deps.config.rateLimitsPerMinute,
  });
  const limiter = createKeyRateLimiter(batch, deps.config.redisPrefix);
  const upstream = createUpstream(deps.config);

  /** The key: present, live, within its rate limit (whose headers are set), allowed on the route. */
  async function admit(req: IncomingMessage, res: ServerResponse, route: ForwardRoute): Promise<Admission> {
    const secret = extractApiKey(req.headers);
    if (secret === undefined) {
      const message =
        "You didn't provide an API key. Send it as `Authorization: Bearer <key>` or in the `X-API-Key` header.";
      return { ok: false, error: new AppError("missing_api_key", message) };
    }
    const presented = authenticator.present(secret);
    if (!presented) return { ok: false, error: new AppError("invalid_api_key", INVALID_KEY_MESSAGE) };
    const now = deps.clock.now();
    // A key this process knows: its rate limit is taken in the same script call as its marker is read
    // (a point taken for a key that turns out dead costs nothing: that key never works again).
    const cached = presented.cached;
    const early = cached ? limiter.consume(cached.id, cached.limitPerMinute) : undefined;
    const check = await authenticator.check(presented, now);
    if (!check.ok) {
      if (check.reason === "unavailable") {
        const error = new AppError(
          "service_unavailable",
          "API keys cannot be checked right now; retry shortly",
          {
            headers: { "retry-after": "1" },
          },
        );
        return { ok: false, error };
      }
      return { ok: false, error: new AppError("invalid_api_key", INVALID_KEY_MESSAGE) };
    }
    const key = check.record;
    const decision =
      early && cached?.id === key.id && cached.limitPerMinute === key.limitPerMinute
        ? await early
        : await limiter.consume(key.id, key.limitPerMinute);
    setRateLimitHeaders(res, decision);
    if (!decision.allowed) {
      const retryAfter = retryAfterSeconds(decision);
      const message = `Rate limit reached: ${decision.limit} requests per minute for this API key. Retry in ${retryAfter} s.`;
      const error = new AppError("rate_limit_exceeded", message, {
        headers: { "retry-after": String(retryAfter) },
      });
      return { ok: false, error };
    }
    if (!key.permissions.has(route.permission)) {
      return { ok: false, error: new AppError("insufficient_permissions", NO_PERMISSION_MESSAGE) };
    }
    batch.noteUse(key.id, now);
    return { ok: true, key };
  }

  return {
    async serve(req, res, requestId, gone) {
      const method = req.method ?? "GET";
      const target = req.url ?? "";
      const route = resolveV1Route(method, target);
      if (route.kind !== "forward") {
        const pattern = route.kind === "unknown_endpoint" ? undefined : route.pattern;
        return { kind: "refused", route: pattern, error: routeRefusal(route, method, target) };
      }
      const refused = (error: AppError): GatewayOutcome => ({ kind: "refused", route: route.pattern, error });

      if (!ablation.auth) {
        const admission = await admit(req, res, route);
        if (!admission.ok) return refused(admission.error);
      }

      // The body: only its declared size is looked at here; it is streamed, never parsed.
      if (declaresTooLarge(req.headers, upstream.bodyLimitBytes))
        return refused(tooLargeError(upstream.bodyLimitBytes));

      // The upstream (there is one) and the forwarding; resolves at the end of the answer.
      const result = await forwardToUpstream(upstream, req, res, {
        path: route.upstreamPath,
        requestId,
        gone,
      });
      if (result.outcome === "failed") return refused(result.error);
      if (result.outcome === "client_aborted") {
        return { kind: "client_aborted", route: route.pattern, upstreamMs: result.upstreamMs };
      }
      return { kind: "forwarded", route: route.pattern, upstreamMs: result.upstreamMs };
    },
  };
}

/** The per-turn batch, on the hot path's own Redis connection (which follows the app's). */
function createBatch(deps: GatewayDeps): HotPathBatch {
  let usageFailing = false;
  // Key use is fire and forget: last-used bookkeeping must never slow down or fail a request.
  return createHotPathBatch(
    ownConnection(deps.redis),
    deps.config.redisPrefix,
    (err) => {
      if (err && !usageFailing) deps.logger.warn({ err }, "could not buffer key use in Redis");
      usageFailing = err !== null;
    },
    {
      onSuspend: (err, ms) =>
        deps.logger.warn(
          { err, suspendMs: ms },
          "Redis did not answer in time: /v1 checks keys against PostgreSQL and limits per process for a while",
        ),
    },
  );
}

function ownConnection(redis: Redis): Redis {
  const own = redis.duplicate();
  own.on("error", () => {});
  redis.once("end", () => own.disconnect());
  return own;
}
