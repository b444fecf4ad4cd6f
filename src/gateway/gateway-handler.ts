import type { IncomingMessage, ServerResponse } from "node:http";
import { renderError, sendError } from "../http/errors.js";
import { type ExchangeEnd, type Exchanges, keptChildren } from "../http/exchange.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";
import type { Ablation } from "./ablation.js";
import { ClientGone } from "./forward.js";
import type { Gateway, GatewayOutcome } from "./gateway.js";
import type { V1Cors } from "./v1-cors.js";

// The /v1 front door: Node's own request and response, beside express rather than through it (express
// gives each request its own prototypes, which slows Node's HTTP internals down; /v1 needs none of
// what express adds). It gives each request what express's side gives (http/exchange.ts), and of
// helmet's headers the one that applies to API answers: `x-content-type-options: nosniff`.

/** The `keyward_v1_requests_total` label: "ok", "client_aborted", or the code answered. */
function outcomeLabel(outcome: GatewayOutcome | "internal_error"): string {
  if (outcome === "internal_error") return outcome;
  if (outcome.kind === "forwarded") return "ok";
  if (outcome.kind === "client_aborted") return "client_aborted";
  return outcome.error.code;
}

export function createGatewayHandler(deps: {
  gateway: Gateway;
  exchanges: Exchanges;
  metrics: Metrics;
  logger: Logger;
  ablation?: Ablation;
  upstreams: UpstreamSet;
  /** CORS for the origins in V1_CORS_ORIGINS (none by default). */
  cors: V1Cors;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { gateway, exchanges, logger, cors } = deps;
  const { registry } = deps.upstreams;
  const outcomeCount = keptChildren((...values) => deps.metrics.v1Requests.labels(...values));
  const upstreamTime = keptChildren((...values) => deps.metrics.upstreamDuration.labels(...values));
  const upstreamCount = keptChildren((...values) => deps.metrics.upstreamRequests.labels(...values));
  const firstByte = keptChildren((...values) => deps.metrics.upstreamFirstByte.labels(...values));

  function record(req: IncomingMessage, outcome: GatewayOutcome | "internal_error", end: ExchangeEnd): void {
    if (deps.ablation?.metrics) return;
    const route = outcome === "internal_error" ? undefined : outcome.route;
    exchanges.recordDuration(req.method, route ?? "unmatched", end);
    const label = outcomeLabel(outcome);
    outcomeCount(label).inc();
    if (outcome === "internal_error") return;
    const upstreamMs = outcome.kind === "refused" ? undefined : outcome.upstreamMs;
    if (upstreamMs !== undefined && route !== undefined) upstreamTime(route).observe(upstreamMs / 1000);
    if (outcome.upstream === undefined) return;
    const model = outcome.model !== undefined && registry.knows(outcome.model) ? outcome.model : "unlisted";
    upstreamCount(outcome.upstream, model, label).inc();
    if (upstreamMs !== undefined) firstByte(outcome.upstream, model).observe(upstreamMs / 1000);
  }

  /** Both the response's end and the gateway's outcome are known: the access line and the metrics. */
  function settle(
    req: IncomingMessage,
    id: string,
    outcome: GatewayOutcome | "internal_error",
    end: ExchangeEnd,
  ) {
    const extra =
      outcome === "internal_error"
        ? undefined
        : {
            keyId: outcome.keyId,
            accountId: outcome.accountId,
            model: outcome.model,
            upstream: outcome.upstream,
          };
    exchanges.writeAccessLine(req, id, end, extra);
    record(req, outcome, end);
  }

  return (req, res) => {
    const gone = new ClientGone();
    // The access line and the metrics need both the response's end and the gateway's outcome,
    // whichever comes last (a client that leaves mid-stream ends the response first).
    let end: ExchangeEnd | undefined;
    let outcome: GatewayOutcome | "internal_error" | undefined;
    const { id: requestId, ip } = exchanges.begin(
      req,
      res,
      (ended) => {
        // The client went away before its answer was complete: the upstream request is aborted.
        if (!ended.completed) gone.raise();
        end = ended;
        if (outcome !== undefined) settle(req, requestId, outcome, end);
      },
      { accessLine: "by_caller" },
    );
    res.setHeader("x-content-type-options", "nosniff");
    if (cors.preflight(req, res)) {
      outcome = { kind: "forwarded", route: "/v1 (CORS preflight)", upstreamMs: undefined };
      if (end !== undefined) settle(req, requestId, outcome, end);
      return;
    }
    cors.allow(req, res);
    gateway.serve(req, res, { requestId, clientIp: ip, gone }).then(
      (result) => {
        // A refusal is an answer, not a failure of this process: the access line records it (and a
        // failed upstream call was logged once, where it failed), so no error line with a stack.
        if (result.kind === "refused") sendError(res, result.error);
        outcome = result;
        if (end !== undefined) settle(req, requestId, outcome, end);
      },
      (err: unknown) => {
        renderError(res, err, logger, requestId);
        outcome = "internal_error";
        if (end !== undefined) settle(req, requestId, outcome, end);
      },
    );
  };
}
