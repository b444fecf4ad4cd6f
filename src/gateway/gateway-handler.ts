import type { IncomingMessage, ServerResponse } from "node:http";
import { renderError } from "../http/errors.js";
import { type ExchangeEnd, type Exchanges, keptChildren } from "../http/exchange.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Ablation } from "./ablation.js";
import { ClientGone } from "./forward.js";
import type { Gateway, GatewayOutcome } from "./gateway.js";

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
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { gateway, exchanges, logger } = deps;
  const outcomeCount = keptChildren((...values) => deps.metrics.v1Requests.labels(...values));
  const upstreamTime = keptChildren((...values) => deps.metrics.upstreamDuration.labels(...values));

  function record(req: IncomingMessage, outcome: GatewayOutcome | "internal_error", end: ExchangeEnd): void {
    if (deps.ablation?.metrics) return;
    const route = outcome === "internal_error" ? undefined : outcome.route;
    exchanges.recordDuration(req.method, route ?? "unmatched", end);
    outcomeCount(outcomeLabel(outcome)).inc();
    if (outcome !== "internal_error" && outcome.kind !== "refused" && outcome.upstreamMs !== undefined) {
      upstreamTime(outcome.route).observe(outcome.upstreamMs / 1000);
    }
  }

  return (req, res) => {
    const gone = new ClientGone();
    // The metrics need both the response's end and the gateway's outcome, whichever comes last.
    let end: ExchangeEnd | undefined;
    let outcome: GatewayOutcome | "internal_error" | undefined;
    const requestId = exchanges.begin(req, res, (ended) => {
      // The client went away before its answer was complete: the upstream request is aborted.
      if (!ended.completed) gone.raise();
      end = ended;
      if (outcome !== undefined) record(req, outcome, end);
    });
    res.setHeader("x-content-type-options", "nosniff");
    gateway.serve(req, res, requestId, gone).then(
      (result) => {
        if (result.kind === "refused") renderError(res, result.error, logger, requestId);
        outcome = result;
        if (end !== undefined) record(req, outcome, end);
      },
      (err: unknown) => {
        renderError(res, err, logger, requestId);
        outcome = "internal_error";
        if (end !== undefined) record(req, outcome, end);
      },
    );
  };
}
