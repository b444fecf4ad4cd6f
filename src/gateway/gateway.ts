import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { AppError } from "../errors/app-error.js";
import type { TokenDecision } from "../token-limits/token-limit.js";
import { type InspectedBody, inspectBody, readBody } from "../upstreams/request-body.js";
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
import { createMetering, type RequestMeter } from "./metering.js";
import { createKeyRateLimiter, retryAfterSeconds, setRateLimitHeaders } from "./rate-limit.js";
import { type ForwardRoute, resolveV1Route, routeRefusal } from "./routes.js";
import { createTokenLimiter, setTokenLimitHeaders } from "./token-limiter.js";

// One /v1 request, in order: the route must be in the table (404/405, no I/O); the key must be
// present, well formed and live (401; 503 only when it cannot be checked); its rate limit is taken
// (429) and its permission for the route checked (403); the body's declared size is checked (413);
// on routes that spend tokens the body is read and the key's tokens reserved (429); then the request
// is forwarded to the upstream and its answer streamed back, through the usage tap where metered.
// Every request whose key was recognised is recorded once (metering.ts), refused ones included.

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

type Admission =
  | { ok: true; key: KeyRecord; at: Date }
  | { ok: false; error: AppError; key?: KeyRecord; at?: Date };

export function createGateway(deps: GatewayDeps, ablation: Ablation = {}): Gateway {
  const batch = ablation.redis ? inMemoryBatch(deps.redis, deps.config.redisPrefix) : createBatch(deps);
  const authenticator = createKeyAuthenticator({
    database: deps.database,
    batch,
    logger: deps.logger,
    redisPrefix: deps.config.redisPrefix,
    tierLimits: deps.config.rateLimitsPerMinute,
    tierTokenLimits: deps.config.tokenLimitsPerMinute,
  });
  const limiter = createKeyRateLimiter(batch, deps.config.redisPrefix);
  const metering = createMetering({
    batch,
    limiter: createTokenLimiter(batch, deps.config.redisPrefix),
    now: () => deps.clock.now().getTime(),
  });
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
    // The key was used, whatever comes next: a refused request moves its last-used time too.
    batch.noteUse(key.id, now);
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
      return { ok: false, error, key, at: now };
    }
    if (!key.permissions.has(route.permission)) {
      const error = new AppError("insufficient_permissions", NO_PERMISSION_MESSAGE);
      return { ok: false, error, key, at: now };
    }
    return { ok: true, key, at: now };
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

      let key: { record: KeyRecord; at: Date } | undefined;
      if (!ablation.auth) {
        const admission = await admit(req, res, route);
        if (!admission.ok) {
          if (admission.key && admission.at) metering.recordRefused(admission.key.id, "", admission.at);
          return refused(admission.error);
        }
        key = { record: admission.key, at: admission.at };
      }
      const tooLarge = () => {
        if (key) metering.recordRefused(key.record.id, "", key.at);
        return refused(tooLargeError(upstream.bodyLimitBytes));
      };

      // The body: only its declared size is looked at here; unless it is metered, it is streamed.
      if (declaresTooLarge(req.headers, upstream.bodyLimitBytes)) return tooLarge();
      let meter: RequestMeter | undefined;
      if (key) {
        let body: InspectedBody | undefined;
        if (metering.readsBody(route.pattern)) {
          const read = await readBody(req, upstream.bodyLimitBytes);
          if (!read.ok && read.reason === "too_large") return tooLarge();
          if (!read.ok) return { kind: "client_aborted", route: route.pattern, upstreamMs: undefined };
          body = bodyFacts(read.raw, req.headers["content-type"]);
        }
        const metered = await metering.admit({
          keyId: key.record.id,
          tokenLimit: key.record.tokenLimitPerMinute,
          route: route.pattern,
          body,
          at: key.at,
        });
        const decision = metered.ok ? metered.meter.decision : metered.decision;
        if (decision) setTokenLimitHeaders(res, decision);
        if (!metered.ok) return refused(tokenLimitError(metered.decision));
        meter = metered.meter;
      }

      // The upstream (there is one) and the forwarding; resolves at the end of the answer.
      const result = await forwardToUpstream(upstream, req, res, {
        path: route.upstreamPath,
        requestId,
        gone,
        body: meter?.body,
        tap: meter?.tap,
      });
      meter?.finish(
        result.outcome === "ok"
          ? "complete"
          : result.outcome === "failed"
            ? "upstream_failed"
            : "client_aborted",
      );
      if (result.outcome === "failed") return refused(result.error);
      if (result.outcome === "client_aborted") {
        return { kind: "client_aborted", route: route.pattern, upstreamMs: result.upstreamMs };
      }
      return { kind: "forwarded", route: route.pattern, upstreamMs: result.upstreamMs };
    },
  };
}

/** What metering needs from a body; one it cannot read is forwarded as sent and counted without a model. */
function bodyFacts(raw: Buffer, contentType: string | undefined): InspectedBody {
  const inspected = inspectBody(raw, contentType);
  if (inspected.ok) return inspected.body;
  return { raw, model: "", json: undefined, stream: false, maxOutputTokens: undefined };
}

function tokenLimitError(decision: TokenDecision): AppError {
  const retryAfter = Math.max(1, Math.ceil(decision.msBeforeReset / 1000));
  const message = `Rate limit reached: ${decision.limit} tokens per minute for this API key. Retry in ${retryAfter} s.`;
  return new AppError("rate_limit_exceeded", message, { headers: { "retry-after": String(retryAfter) } });
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
