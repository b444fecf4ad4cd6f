import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { TokenDecision } from "../token-limits/token-limit.js";
import { type InspectedBody, inspectBody, readBody } from "../upstreams/request-body.js";
import { modelNotFound, sendToReplica } from "../upstreams/send-to-replica.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";
import {
  type CallerIdentity,
  declaresTooLarge,
  type ForwardResult,
  forwardToUpstream,
  logFailedCall,
  tooLargeError,
  type V1Call,
} from "./forward.js";
import { type KeyRecord, mayUseModel } from "./key-records.js";
import { type MeterEnd, type Metering, outcomeOfError, type RequestMeter } from "./metering.js";
import { isAudioUpload, type RouteEntry } from "./routes.js";
import { setTokenLimitHeaders, type TokenReservation } from "./token-limiter.js";

// A POST route's request, from its body to the upstream that answers it: the body is read (bounded)
// and its model found, the key's model list checked (404 as for a model nobody serves: nothing leaks),
// the key's tokens reserved (metering.ts), and the request sent to a replica of that model, tried on a
// second one only if the first could not be connected to; its answer goes through the usage tap, and
// the request is settled and recorded when it ends.
//
// For a key this process already knows, the gateway starts all this ahead (`start`), while the key is
// checked: the body is read and, when the cached record lets the key use the route and the body's model,
// its tokens are reserved in the same Redis turn as the key's check, rather than in a turn of their own
// after it (one round trip per request instead of two). A request then refused gives them back.

export type ModelForwarding =
  | { kind: "forwarded"; upstreamMs: number; model: string; upstream: string }
  | { kind: "client_aborted"; upstreamMs: number | undefined; model?: string; upstream?: string }
  | { kind: "refused"; error: AppError; model?: string; upstream?: string };

const BODY_REFUSALS = {
  invalid_json: () => new AppError("invalid_json", "Request body is not valid JSON"),
  no_model: () => new AppError("validation_failed", "you must provide a model parameter", { param: "model" }),
  model_not_string: () => new AppError("validation_failed", "model: must be a string", { param: "model" }),
  // What keyward routes and checks the key's models by must be what the upstream reads: a form it
  // could read otherwise (a model given twice, a part named in a way parsers differ on) is refused.
  model_repeated: () => new AppError("validation_failed", "model: must be given once", { param: "model" }),
  ambiguous_form: () =>
    new AppError(
      "validation_failed",
      'Malformed multipart form: give one boundary, and each part one Content-Disposition with one plain name="…"',
    ),
};

type BodyResult = InspectedBody | AppError | "aborted";

/** A request's body and token reservation, started while its key (`record`, as cached) is checked. */
export interface ReadAhead {
  record: KeyRecord;
  body: Promise<BodyResult>;
  /** Undefined when nothing was reserved ahead (see `start`): `forward` reserves then. */
  reservation: Promise<TokenReservation | undefined>;
}

export function createModelForwarding(deps: {
  upstreams: UpstreamSet;
  logger: Logger;
  bodyLimitBytes: number;
  /** The limit of the audio routes' uploads instead. */
  audioBodyLimitBytes: number;
  metering: Metering;
}) {
  const { upstreams, logger } = deps;

  /** The body and its model, or the refusal (413, 400) to answer with. */
  async function bodyOf(req: IncomingMessage, route: string): Promise<BodyResult> {
    const limit = isAudioUpload(route) ? deps.audioBodyLimitBytes : deps.bodyLimitBytes;
    if (declaresTooLarge(req.headers, limit)) return tooLargeError(limit);
    const read = await readBody(req, limit);
    if (!read.ok) return read.reason === "aborted" ? "aborted" : tooLargeError(limit);
    const inspected = inspectBody(read.raw, req.headers["content-type"]);
    if (inspected.ok) return inspected.body;
    if (inspected.reason === "wrong_type") {
      const { param, expected } = inspected;
      return new AppError("validation_failed", `Invalid type for '${param}': expected ${expected}`, {
        param,
      });
    }
    return BODY_REFUSALS[inspected.reason]();
  }

  /** Reads the body now and reserves the cached key's tokens once it is in, where it may use them. */
  function start(req: IncomingMessage, route: RouteEntry, record: KeyRecord): ReadAhead {
    const body = bodyOf(req, route.pattern);
    const reservation = body.then((read) => {
      const usable =
        !(read instanceof AppError) &&
        read !== "aborted" &&
        record.permissions.has(route.permission) &&
        mayUseModel(record.models, read.model) &&
        upstreams.registry.knows(read.model);
      if (!usable) return undefined;
      const input = {
        keyId: record.id,
        tokenLimit: record.tokenLimitPerMinute,
        route: route.pattern,
        body: read,
      };
      return deps.metering.reserve(input);
    });
    return { record, body, reservation };
  }

  /** Gives back what was reserved ahead for a request that is not forwarded with it. */
  function release(ahead: ReadAhead): void {
    void ahead.reservation.then((reserved) => {
      if (reserved) deps.metering.release(reserved);
    });
  }

  /**
   * For a request refused while its body was read ahead: its reservation is given back, and a body left
   * unfinished (past the limit, or still coming) is not drained: the connection closes after the answer.
   */
  function abandon(ahead: ReadAhead, req: IncomingMessage, res: ServerResponse): void {
    release(ahead);
    if (!req.complete) res.setHeader("connection", "close");
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    request: {
      upstreamPath: string;
      call: V1Call;
      key: KeyRecord | undefined;
      at: Date;
      route: string;
    },
    ahead?: ReadAhead,
  ): Promise<ModelForwarding> {
    const key = request.key;
    // Usage names only models some upstream serves: a client's made-up names must not grow the table.
    const served = (model: string | undefined) =>
      model !== undefined && upstreams.registry.knows(model) ? model : "";
    const refuse = (error: AppError, model?: string): ModelForwarding => {
      if (key) deps.metering.record(key.id, served(model), request.at, "refused");
      return { kind: "refused", error, model };
    };
    // Reserved ahead for the record the key was checked against, or not at all (refused, reloaded).
    const reservedAhead = ahead?.record === key ? ahead?.reservation : undefined;
    if (ahead && !reservedAhead) release(ahead);
    const body = ahead ? await ahead.body : await bodyOf(req, request.route);
    if (body === "aborted") return { kind: "client_aborted", upstreamMs: undefined };
    if (body instanceof AppError) return refuse(body);
    const model = body.model;
    if (key && !mayUseModel(key.models, model)) return refuse(modelNotFound(model), model);
    // Right after start, a model may only be unknown because the first look at the upstreams is under way.
    if (!upstreams.registry.knows(model)) await upstreams.registry.ready();

    let meter: RequestMeter | undefined;
    if (key) {
      const metered = await deps.metering.admit(
        {
          keyId: key.id,
          tokenLimit: key.tokenLimitPerMinute,
          route: request.route,
          body,
          model: served(model),
          at: request.at,
        },
        await reservedAhead,
      );
      const decision = metered.ok ? metered.meter.decision : metered.decision;
      if (decision) setTokenLimitHeaders(res, decision);
      if (!metered.ok) return { kind: "refused", error: tokenLimitError(metered.decision), model };
      meter = metered.meter;
    }

    const caller: CallerIdentity | undefined = key && {
      keyId: key.id,
      accountId: key.accountId,
      clientIp: request.call.clientIp,
    };
    const sent = await sendToReplica(upstreams, model, async (upstream) => {
      const result = await forwardToUpstream(upstream, req, res, {
        path: request.upstreamPath,
        requestId: request.call.requestId,
        gone: request.call.gone,
        body: meter?.body ?? body.raw,
        caller,
        tap: meter?.tap,
      });
      if (result.outcome !== "failed") return { ok: true, value: result };
      logFailedCall(logger, { reqId: request.call.requestId, upstream: upstream.label, model }, result);
      return { ok: false, failure: result.failure };
    });
    meter?.finish(endOf(sent));
    if (!sent.ok) return { kind: "refused", error: sent.error, model, upstream: sent.upstream?.label };
    const upstream = sent.upstream.label;
    if (sent.value.outcome === "client_aborted") {
      return { kind: "client_aborted", upstreamMs: sent.value.upstreamMs, model, upstream };
    }
    return { kind: "forwarded", upstreamMs: sent.value.upstreamMs, model, upstream };
  }

  return { start, abandon, forward };
}

/**
 * A replica's failure is the upstream's error, and so is an answer it broke off; a refusal of
 * keyward's own (none free, 503) is not.
 */
function endOf(sent: { ok: true; value: ForwardResult } | { ok: false; error: AppError }): MeterEnd {
  if (!sent.ok) return outcomeOfError(sent.error) === "upstream_error" ? "upstream_failed" : "refused";
  if (sent.value.outcome === "cut") return "upstream_failed";
  if (sent.value.outcome !== "client_aborted") return "complete";
  return sent.value.unsent ? "withdrawn" : "client_aborted";
}

function tokenLimitError(decision: TokenDecision): AppError {
  const retryAfter = Math.max(1, Math.ceil(decision.msBeforeReset / 1000));
  const message = `Rate limit reached: ${decision.limit} tokens per minute for this API key. Retry in ${retryAfter} s.`;
  return new AppError("rate_limit_exceeded", message, { headers: { "retry-after": String(retryAfter) } });
}
