import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../errors/app-error.js";
import { type Ablation, inMemoryBatch } from "./ablation.js";
import { extractApiKey } from "./api-key.js";
import type { GatewayDeps } from "./deps.js";
import type { V1Call } from "./forward.js";
import { createModelForwarding, type ReadAhead } from "./forward-by-model.js";
import { createResponseIdForwarding, type ResponseIdForwarding } from "./forward-by-response-id.js";
import { createGatewayBatch } from "./gateway-batch.js";
import { createKeyAuthenticator } from "./key-authenticator.js";
import { isKeyLive, type KeyRecord } from "./key-records.js";
import { createMetering, outcomeOfError } from "./metering.js";
import { createKeyRateLimiter, retryAfterSeconds, setRateLimitHeaders } from "./rate-limit.js";
import { type ForwardRoute, resolveV1Route, routeRefusal } from "./routes.js";
import { createTokenLimiter } from "./token-limiter.js";
import { createModelAnswers } from "./v1-models.js";

// One /v1 request, in order: the route must be in the table (404/405, no I/O); the key must be
// present, well formed and live (401; 503 only when it cannot be checked); its rate limit is taken
// (429) and its permission for the route checked (403). The model list is answered from memory; any
// other route's body is read (413 past the limit) for its model (400 without one; 404 for a model
// nobody serves or the key may not use), its tokens reserved where the route spends them (429), and
// the request is forwarded to an upstream serving that model, its answer streamed back (through the
// usage tap where metered). Every request whose key was recognised is recorded once, with its outcome
// and tokens (metering.ts), refused ones included, and moves the key's last-used time. For a key this
// process knows, the body is read and the tokens reserved while the key is checked (forward-by-model.ts).

const INVALID_KEY_MESSAGE = "Invalid API key provided";
const NO_PERMISSION_MESSAGE = "API key doesn't have permission for this endpoint";

/** Who asked for what and who served it, as far as known: for the access line and the metrics. */
export interface Attribution {
  keyId?: string;
  accountId?: string;
  model?: string;
  /** The label of the upstream that served (or failed) the request. */
  upstream?: string;
}

/** What happened to one /v1 request; `route` is the route's pattern once the target is in the table. */
export type GatewayOutcome = Attribution &
  (
    | { kind: "forwarded"; route: string; upstreamMs: number | undefined }
    | { kind: "client_aborted"; route: string; upstreamMs: number | undefined }
    | { kind: "refused"; route: string | undefined; error: AppError }
  );

export interface Gateway {
  /**
   * Serves one /v1 request on Node's own request and response. Resolves once the answer is handed
   * over, or with the refusal to answer (nothing has been sent then).
   */
  serve(req: IncomingMessage, res: ServerResponse, call: V1Call): Promise<GatewayOutcome>;
  /** For a process that stops: hands the usage it still holds to Redis (hot-path-batch.ts). */
  handOverUsage(timeoutMs: number): Promise<boolean>;
}

/** How the request was served, before who asked is added (forward-by-model's result is one). */
type Served = Pick<Attribution, "model" | "upstream"> &
  (
    | { kind: "forwarded" | "client_aborted"; upstreamMs: number | undefined }
    | { kind: "refused"; error: AppError }
  );

type Admission = { ok: true; key: KeyRecord } | { ok: false; error: AppError; key?: KeyRecord };

export function createGateway(deps: GatewayDeps, ablation: Ablation = {}): Gateway {
  const batch = ablation.redis
    ? inMemoryBatch(deps.redis, deps.config.redisPrefix)
    : createGatewayBatch(deps);
  const authenticator = createKeyAuthenticator({
    database: deps.database,
    batch,
    logger: deps.logger,
    redisPrefix: deps.config.redisPrefix,
    tierLimits: deps.config,
  });
  const limiter = createKeyRateLimiter(batch, deps.config.redisPrefix);
  const metering = createMetering({
    batch,
    limiter: createTokenLimiter(batch, deps.config.redisPrefix),
    now: () => deps.clock.now().getTime(),
  });
  const models = createModelAnswers(deps.upstreams.registry);
  const byModel = createModelForwarding({
    upstreams: deps.upstreams,
    logger: deps.logger,
    bodyLimitBytes: deps.config.proxyBodyLimitBytes,
    audioBodyLimitBytes: deps.config.proxyAudioBodyLimitBytes,
    metering,
  });

  const forwardByResponseId = createResponseIdForwarding({
    upstreams: deps.upstreams,
    logger: deps.logger,
    locateTimeoutMs: Math.min(deps.config.upstreamTimeoutMs, 5_000),
  });

  /**
   * The key: present, live, within its rate limit (whose headers are set), allowed on the route.
   * `whileChecking` is handed the key's cached record as its check is sent (work started then shares the
   * check's Redis turn), unless that record or a 429 in memory already refuses the key.
   */
  async function admit(
    req: IncomingMessage,
    res: ServerResponse,
    route: ForwardRoute,
    now: Date,
    whileChecking?: (cached: KeyRecord) => void,
  ): Promise<Admission> {
    const secret = extractApiKey(req.headers);
    if (secret === undefined) {
      const message =
        "You didn't provide an API key. Send it as `Authorization: Bearer <key>` or in the `X-API-Key` header.";
      return { ok: false, error: new AppError("missing_api_key", message) };
    }
    const presented = authenticator.present(secret);
    if (!presented) return { ok: false, error: new AppError("invalid_api_key", INVALID_KEY_MESSAGE) };
    // A key this process knows: its rate limit is taken in the same script call as its marker is read
    // (a point taken for a key that turns out dead costs nothing: that key never works again).
    const cached = presented.cached;
    const early = cached ? limiter.consume(cached.id, cached.limitPerMinute) : undefined;
    const live =
      cached && isKeyLive(cached, now.getTime()) && !limiter.refusing(cached.id, cached.limitPerMinute);
    if (live && whileChecking) whileChecking(cached);
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
      return { ok: false, error, key };
    }
    if (!key.permissions.has(route.permission)) {
      const error = new AppError("insufficient_permissions", NO_PERMISSION_MESSAGE);
      return { ok: false, error, key };
    }
    return { ok: true, key };
  }

  return {
    async serve(req, res, call) {
      const method = req.method ?? "GET";
      const target = req.url ?? "";
      const route = resolveV1Route(method, target);
      if (route.kind !== "forward") {
        const pattern = route.kind === "unknown_endpoint" ? undefined : route.pattern;
        return { kind: "refused", route: pattern, error: routeRefusal(route, method, target) };
      }
      const refused = (error: AppError): GatewayOutcome => ({ kind: "refused", route: route.pattern, error });

      let key: KeyRecord | undefined;
      let ahead: ReadAhead | undefined;
      const at = deps.clock.now();
      if (!ablation.auth) {
        const readAhead =
          route.answer === "upstream"
            ? (cached: KeyRecord) => {
                ahead = byModel.start(req, route, cached);
              }
            : undefined;
        const admission = await admit(req, res, route, at, readAhead);
        if (!admission.ok) {
          if (ahead) byModel.abandon(ahead, req, res);
          if (admission.key) metering.record(admission.key.id, "", at, "refused");
          return refused(admission.error);
        }
        key = admission.key;
      }

      if (route.answer === "stored_response") {
        const sent = await forwardByResponseId(req, res, {
          responseId: route.responseId ?? "",
          upstreamPath: route.upstreamPath,
          call,
          key,
        });
        if (key) metering.record(key.id, "", at, storedResponseOutcome(sent));
        return outcomeOf(sent, route.pattern, key);
      }

      if (route.answer !== "upstream") {
        const allowed = key?.models ?? null;
        const error =
          route.answer === "model_list"
            ? await models.list(res, allowed)
            : await models.get(res, route.modelId ?? "", allowed);
        // A model list not read yet (no upstream reachable) is the upstream's error, as for a chat.
        if (key) metering.record(key.id, "", at, error ? outcomeOfError(error) : "answered");
        const answered: Served = error
          ? { kind: "refused", error, model: route.modelId }
          : { kind: "forwarded", upstreamMs: undefined, model: route.modelId };
        return outcomeOf(answered, route.pattern, key);
      }

      const forwarded = await byModel.forward(
        req,
        res,
        { upstreamPath: route.upstreamPath, call, key, at, route: route.pattern },
        ahead,
      );
      return outcomeOf(forwarded, route.pattern, key);
    },

    handOverUsage: (timeoutMs) => batch.handOver(timeoutMs),
  };
}

/**
 * The outcome with who asked: built field by field, always in the same shape (spreading a union of
 * shapes sends V8 to its slow generic copy on every request).
 */
/** As for a request routed by model: an answer the upstream broke off is its error (metering.ts). */
function storedResponseOutcome(sent: ResponseIdForwarding): "answered" | "refused" | "upstream_error" {
  if (sent.kind === "refused") return outcomeOfError(sent.error);
  return sent.kind === "forwarded" && sent.brokenOff ? "upstream_error" : "answered";
}

function outcomeOf(forwarding: Served, route: string, key: KeyRecord | undefined): GatewayOutcome {
  const keyId = key?.id;
  const accountId = key?.accountId;
  const { model, upstream } = forwarding;
  if (forwarding.kind === "refused") {
    return { kind: "refused", route, error: forwarding.error, keyId, accountId, model, upstream };
  }
  const upstreamMs = forwarding.upstreamMs;
  return { kind: forwarding.kind, route, upstreamMs, keyId, accountId, model, upstream };
}
