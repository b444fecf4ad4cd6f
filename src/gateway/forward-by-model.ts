import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import { type InspectedBody, inspectBody, readBody } from "../upstreams/request-body.js";
import { modelNotFound, sendToReplica } from "../upstreams/send-to-replica.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";
import {
  type CallerIdentity,
  type ClientGone,
  declaresTooLarge,
  forwardToUpstream,
  tooLargeError,
} from "./forward.js";
import type { KeyRecord } from "./key-records.js";

// A POST route's request, from its body to the upstream that answers it: the body is read (bounded)
// and its model found, the key's model list checked (404 as for a model nobody serves: nothing leaks),
// and the request sent to a replica of that model, tried on a second one only if the first could not
// be connected to.

export type ModelForwarding =
  | { kind: "forwarded"; upstreamMs: number; model: string; upstream: string }
  | { kind: "client_aborted"; upstreamMs: number | undefined; model?: string; upstream?: string }
  | { kind: "refused"; error: AppError; model?: string; upstream?: string };

const BODY_REFUSALS = {
  invalid_json: () => new AppError("invalid_json", "Request body is not valid JSON"),
  no_model: () => new AppError("validation_failed", "you must provide a model parameter", { param: "model" }),
  model_not_string: () => new AppError("validation_failed", "model: must be a string", { param: "model" }),
};

export function createModelForwarding(deps: {
  upstreams: UpstreamSet;
  logger: Logger;
  bodyLimitBytes: number;
  clientIp: (req: IncomingMessage) => string | undefined;
}) {
  const { upstreams, logger, bodyLimitBytes } = deps;

  /** The body and its model, or the refusal (413, 400) to answer with. */
  async function bodyOf(req: IncomingMessage): Promise<InspectedBody | AppError | "aborted"> {
    if (declaresTooLarge(req.headers, bodyLimitBytes)) return tooLargeError(bodyLimitBytes);
    const read = await readBody(req, bodyLimitBytes);
    if (!read.ok) return read.reason === "aborted" ? "aborted" : tooLargeError(bodyLimitBytes);
    const inspected = inspectBody(read.raw, req.headers["content-type"]);
    return inspected.ok ? inspected.body : BODY_REFUSALS[inspected.reason]();
  }

  return async function forwardByModel(
    req: IncomingMessage,
    res: ServerResponse,
    request: { upstreamPath: string; requestId: string; gone: ClientGone; key: KeyRecord | undefined },
  ): Promise<ModelForwarding> {
    const body = await bodyOf(req);
    if (body === "aborted") return { kind: "client_aborted", upstreamMs: undefined };
    if (body instanceof AppError) return { kind: "refused", error: body };
    const model = body.model;
    const key = request.key;
    if (key?.models && !key.models.has(model)) return { kind: "refused", error: modelNotFound(model), model };
    // Right after start, a model may only be unknown because the first look at the upstreams is under way.
    if (!upstreams.registry.knows(model)) await upstreams.registry.ready();

    const caller: CallerIdentity | undefined = key && {
      keyId: key.id,
      accountId: key.accountId,
      clientIp: deps.clientIp(req),
    };
    const sent = await sendToReplica(upstreams, model, async (upstream) => {
      const result = await forwardToUpstream(upstream, req, res, {
        path: request.upstreamPath,
        requestId: request.requestId,
        gone: request.gone,
        body: body.raw,
        caller,
      });
      if (result.outcome !== "failed") return { ok: true, value: result };
      // One line per failed call; an expected network failure needs its code, not a stack trace.
      const err = result.err as { code?: string; message?: string };
      logger.warn(
        {
          reqId: request.requestId,
          upstream: upstream.label,
          model,
          failure: result.failure,
          cause: { code: err?.code, message: err?.message },
        },
        "upstream call failed",
      );
      return { ok: false, failure: result.failure };
    });
    if (!sent.ok) return { kind: "refused", error: sent.error, model, upstream: sent.upstream?.label };
    const upstream = sent.upstream.label;
    if (sent.value.outcome === "client_aborted") {
      return { kind: "client_aborted", upstreamMs: sent.value.upstreamMs, model, upstream };
    }
    return { kind: "forwarded", upstreamMs: sent.value.upstreamMs, model, upstream };
  };
}
