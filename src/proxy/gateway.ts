import type { Request, RequestHandler, Response } from "express";
import type { Redis } from "ioredis";
import type { AppDeps } from "../api/deps.js";
import { AppError } from "../errors/app-error.js";
import { createKeyUseBatcher, defineUsageCommands } from "../usage/buffer.js";
import { extractApiKey } from "./extract-api-key.js";
import { declaresTooLarge, forwardToUpstream, tooLargeError, type Upstream } from "./forward.js";
import { resolveV1Route } from "./gateway-routes.js";
import { createKeyAuthenticator, type KeyAuthenticator } from "./key-authenticator.js";
import {
  createKeyRateLimiter,
  type KeyRateLimiter,
  type RateDecision,
  rateLimitHeaders,
  retryAfterSeconds,
} from "./rate-limit.js";

// One /v1 request, in order: the route must be in the table (else 404, with no I/O and nothing sent
// on), the key must be present, well formed and live (401; 503 only when it cannot be checked), the
// key's rate limit is taken (429), its permission checked (403), then the request is streamed through.
// For the metrics middleware: res.locals.v1Outcome is "ok" or the error code, and
// res.locals.upstreamMs the upstream's time to response headers.

export const INVALID_KEY_MESSAGE = "Invalid API key provided";
export const NO_PERMISSION_MESSAGE = "API key doesn't have permission for this endpoint";

export interface Gateway {
  handle: RequestHandler;
  authenticator: KeyAuthenticator;
  limiter: KeyRateLimiter;
}

/**
 * The hot path's own Redis connection, with auto-pipelining: every command of one request (markers,
 * rate limit, key use) and of concurrent requests leaves in one write per event-loop turn. Socket
 * writes, not Redis, are what a request costs most. Script commands are defined before any pipeline
 * exists (see rate-limit.ts). It follows the app's connection (same address, closed with it).
 */
function hotPathRedis(redis: Redis): Redis {
  const hot = redis.duplicate({ enableAutoPipelining: true });
  defineUsageCommands(hot);
  hot.on("error", () => {});
  redis.once("end", () => hot.disconnect());
  return hot;
}

export function createGateway(deps: AppDeps, upstream: Upstream): Gateway {
  const redis = hotPathRedis(deps.redis);
  const prefix = deps.config.redisPrefix;
  const authenticator = createKeyAuthenticator({ ...deps, redis });
  const limiter = createKeyRateLimiter(redis, prefix);
  let usageFailing = false;
  // Fire and forget: last-used bookkeeping must never slow down or fail a request.
  const noteKeyUse = createKeyUseBatcher(redis, prefix, (err, keyId) => {
    if (err && !usageFailing) deps.logger.warn({ err, keyId }, "could not buffer key use in Redis");
    usageFailing = err !== null;
  });

  async function serve(req: Request, res: Response): Promise<void> {
    const route = resolveV1Route(req.method, req.originalUrl);
    if (route.kind !== "forward") {
      const path = req.originalUrl.split("?")[0];
      if (route.kind === "unknown_endpoint") {
        throw new AppError("unknown_endpoint", `Unknown endpoint: ${req.method} ${path}`);
      }
      throw new AppError("method_not_allowed", `Method ${req.method} is not allowed on ${path}`, {
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
    // A key this process knows: its rate limit is taken in the same round trip as its markers are read
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
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value);
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
    noteKeyUse(key.id, now);

    if (declaresTooLarge(req.headers, upstream.bodyLimitBytes)) throw tooLargeError(upstream.bodyLimitBytes);
    const result = await forwardToUpstream(upstream, req, res, {
      path: route.upstreamPath,
      requestId: String(req.id ?? res.getHeader("x-request-id") ?? ""),
      onResponse: (upstreamMs) => {
        res.locals.upstreamMs = upstreamMs;
        res.locals.v1Outcome = "ok";
      },
    });
    if (result.outcome === "client_aborted") res.locals.v1Outcome = "client_aborted";
  }

  const handle: RequestHandler = async (req, res) => {
    try {
      await serve(req, res);
    } catch (err) {
      res.locals.v1Outcome = err instanceof AppError ? err.code : "internal_error";
      throw err;
    }
  };

  return { handle, authenticator, limiter };
}
