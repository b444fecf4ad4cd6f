import type { Clock } from "../time/clock.js";
import type { ModelRegistry } from "./model-registry.js";
import type { Upstream, UpstreamFailure } from "./upstream.js";

export type { UpstreamFailure };

// Chooses the replica for a request: among the upstreams serving the model and in rotation, the one
// with the fewest requests in flight (LLM requests differ in length by orders of magnitude, so spreading
// by count alone, round robin, would pile new requests on a replica still busy with long ones). A
// replica that refused a connection, reset before answering or timed out before its first byte is out
// of rotation until a health probe (health-probe.ts) finds it answering again: no client request is
// ever the one that finds out whether it is still dead.

/** How long a replica stays out before it is probed, and between probes while they fail. */
export const DOWN_FOR_MS = 10_000;

export type Choice = { ok: true; upstream: Upstream } | { ok: false; reason: "unknown_model" | "all_down" };

/** How an upstream call failed before its answer began, as far as routing cares. */

const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (typeof e?.code === "string") return e.code;
  // Node's happy-eyeballs connect reports an AggregateError of each address's failure.
  if (Array.isArray(e?.errors)) return codeOf(e.errors[0]);
  return e?.cause ? codeOf(e.cause) : undefined;
}

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = codeOf(err);
  if (code === undefined) return "other";
  if (NOT_CONNECTED.has(code)) return "not_connected";
  if (RESET.has(code)) return "reset";
  if (code === "UND_ERR_HEADERS_TIMEOUT") return "timeout";
  return "other";
}

export interface Balancer {
  /** The replica for `model`, skipping `tried` (a replica that just failed this request). */
  choose(model: string, tried?: Upstream): Choice;
  /** Takes the upstream out of rotation; it is probed DOWN_FOR_MS from now. */
  markDown(upstream: Upstream): void;
  /** Back in rotation at once (it answered, or a probe did). */
  markUp(upstream: Upstream): void;
  isUp(upstream: Upstream): boolean;
}

export function createBalancer(registry: ModelRegistry, clock: Clock): Balancer {
  // Breaks ties between equally loaded replicas by turns, so that sequential requests spread too.
  let turn = 0;

  function choose(model: string, tried?: Upstream): Choice {
    const replicas = registry.replicasOf(model);
    if (replicas.length === 0) return { ok: false, reason: "unknown_model" };
    const count = replicas.length;
    const start = turn++ % count;
    let best: Upstream | undefined;
    for (let i = 0; i < count; i++) {
      const candidate = replicas[(start + i) % count] as Upstream;
      if (candidate === tried || candidate.probeAtMs !== 0) continue;
      if (best === undefined || candidate.inFlight < best.inFlight) best = candidate;
    }
    return best ? { ok: true, upstream: best } : { ok: false, reason: "all_down" };
  }

  return {
    choose,
    markDown(upstream) {
      upstream.probeAtMs = clock.now().getTime() + DOWN_FOR_MS;
    },
    markUp(upstream) {
      upstream.probeAtMs = 0;
    },
    isUp: (upstream) => upstream.probeAtMs === 0,
  };
}
