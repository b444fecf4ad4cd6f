import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { AppDeps } from "../api/deps.js";
import { AppError } from "../errors/app-error.js";
import { extractApiKey } from "./extract-api-key.js";
import {
  type ClientGone,
  declaresTooLarge,
  forwardToUpstream,
  tooLargeError,
  type Upstream,
} from "./forward.js";
import { resolveV1Route } from "./gateway-routes.js";
import { createHotPathBatch } from "./hot-path-batch.js";
import { createKeyAuthenticator, type KeyAuthenticator } from "./key-authenticator.js";
import {
  createKeyRateLimiter,
  type KeyRateLimiter,
  type RateDecision,
  retryAfterSeconds,
  setRateLimitHeaders,
} from "./rate-limit.js";

// One /v1 request, in order: the route must be in the table (else 404, with no I/O and nothing sent
// on), the key must be present, well formed and live (401; 503 only when it cannot be checked), the
// key's rate limit is taken (429), its permission checked (403), then the request is streamed through.
// What happened is written to the request's V1Outcome for the metrics: "ok" (or "client_aborted")
// and the upstream's time to response headers once forwarded, else the error code it was refused with.

export const INVALID_KEY_MESSAGE = "Invalid API key provided";
export const NO_PERMISSION_MESSAGE = "API key doesn't have permission for this endpoint";

export interface V1Outcome {
  /** Raised by whoever sees the client go away before its answer is complete. */
  gone: ClientGone;
  /** "ok", "client_aborted", or the code of the error the request was answered with. */
  outcome: string | undefined;
  /** The upstream's time to response headers, in ms, once it answered. */
  upstreamMs: number | undefined;
  /** The route's pattern once the target is known to be in the table ("/v1/models/:id"). */
  route: string | undefined;
}

export interface Gateway {
  /**
   * Serves one /v1 request on Node's own request and response (no framework). Resolves once the
   * answer is fully handed over; rejects with the AppError to answer with while nothing was sent.
   */
  serve(req: IncomingMessage, res: ServerResponse, requestId: string, outcome: V1Outcome): Promise<void>;
  authenticator: KeyAuthenticator;
  limiter: KeyRateLimiter;
}

/**
 * The hot path's own Redis connection, carrying one script call per event-loop turn (see
 * hot-path-batch.ts). It follows the app's connection (same address, closed with it).
 */
function hotPathRedis(redis: Redis): Redis {
  const hot = redis.duplicate();
  hot.on("error", () => {});
  redis.once("end", () => hot.disconnect());
  return hot;
}

export function createGateway(deps: AppDeps, upstream: Upstream): Gateway {
  const prefix = deps.config.redisPrefix;
  let usageFailing = false;
  // Key use is fire and forget: last-used bookkeeping must never slow down or fail a request.
  const batch = createHotPathBatch(
    hotPathRedis(deps.redis),
    prefix,
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
  const authenticator = createKeyAuthenticator({ ...deps, batch });
  const limiter = createKeyRateLimiter(batch, prefix);

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    state: V1Outcome,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const target = req.url ?? "";
    const route = resolveV1Route(method, target);
    if (route.kind !== "unknown_endpoint") state.route = route.pattern;
    if (route.kind !== "forward") {
      const path = target.split("?")[0];
      if (route.kind === "unknown_endpoint") {
        throw new AppError("unknown_endpoint", `Unknown endpoint: ${method} ${path}`);
      }
      throw new AppError("method_not_allowed", `Method ${method} is not allowed on ${path}`, {
        headers: { allow: route.allow },
      });
    }

    const secret = extractApiKey(req.headers);
    if (secret === undefined) {
      throw new AppError(
        "missing_api_key",
        "You didn't provide an API key. Send it as `Authorization: Bearer <key>` or in the `X-API-Key` header.",
      );
    }
    const presented = authenticator.present(secret);
    if (!presented) throw new AppError("invalid_api_key", INVALID_KEY_MESSAGE);
    const now = deps.clock.now();
    // A key this process knows: its rate limit is taken in the same script call as its markers are read
    // (a point taken for a key that turns out dead costs nothing: that key never works again).
    const early = presented.cached
      ? limiter.consume(presented.cached.id, presented.cached.limitPerMinute)
      : undefined;
    const check = await authenticator.check(presented, now);
    if (!check.ok) {
      early?.catch(() => {});
      if (check.reason === "unavailable") {
        throw new AppError("service_unavailable", "API keys cannot be checked right now; retry shortly", {
          headers: { "retry-after": "1" },
        });
      }
      throw new AppError("invalid_api_key", INVALID_KEY_MESSAGE);
    }
    const key = check.record;
    const decision: RateDecision =
      early && presented.cached?.id === key.id && presented.cached.limitPerMinute === key.limitPerMinute
        ? await early
        : await limiter.consume(key.id, key.limitPerMinute);
    setRateLimitHeaders(res, decision);
    if (!decision.allowed) {
      const retryAfter = retryAfterSeconds(decision);
      throw new AppError(
        "rate_limit_exceeded",
        `Rate limit reached: ${decision.limit} requests per minute for this API key. Retry in ${retryAfter} s.`,
        { headers: { "retry-after": String(retryAfter) } },
      );
    }
    if (!key.permissions.has(route.permission)) {
      throw new AppError("insufficient_permissions", NO_PERMISSION_MESSAGE);
    }
    batch.noteUse(key.id, now);

    if (declaresTooLarge(req.headers, upstream.bodyLimitBytes)) throw tooLargeError(upstream.bodyLimitBytes);
    const result = await forwardToUpstream(upstream, req, res, {
      path: route.upstreamPath,
      requestId,
      gone: state.gone,
      onResponse: (upstreamMs) => {
        state.upstreamMs = upstreamMs;
        state.outcome = "ok";
      },
    });
    if (result.outcome === "client_aborted") state.outcome = "client_aborted";
  }

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string, state: V1Outcome) {
    try {
      await forward(req, res, requestId, state);
    } catch (err) {
      state.outcome = err instanceof AppError ? err.code : "internal_error";
      throw err;
    }
  }

  return { serve, authenticator, limiter };
}
