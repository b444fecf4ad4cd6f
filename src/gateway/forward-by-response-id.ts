import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import { sendToUpstream } from "../upstreams/send-to-replica.js";
import { statusOfGet, type Upstream } from "../upstreams/upstream.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";
import { type CallerIdentity, forwardToUpstream, logFailedCall, type V1Call } from "./forward.js";
import type { KeyRecord } from "./key-records.js";

// GET /v1/responses/:id and POST /v1/responses/:id/cancel name no model: the response lives only in the
// memory of the vLLM server that created it, so the request must reach that one server. keyward asks
// the candidate upstreams at once (GET /v1/responses/:id, which changes nothing) and sends the request
// to the one that does not answer 404. When none holds it but one could not say (unreachable, or a 5xx
// other than 501), the answer is 502, not 404: the response may well exist. Nothing is recorded when a
// response is created, so this holds across any number of web processes and restarts; the owner found
// is remembered in a bounded map so that a client polling a background response costs one upstream
// call per poll, not one per upstream.
// A key limited to some models only reaches the upstreams serving those models.

const REMEMBERED = 10_000;

export type ResponseIdForwarding =
  /** `brokenOff`: the upstream began its answer, then broke it off (counted as its error). */
  | { kind: "forwarded"; upstreamMs: number; upstream: string; brokenOff: boolean }
  | { kind: "client_aborted"; upstreamMs: number | undefined; upstream: string }
  | { kind: "refused"; error: AppError; upstream?: string };

export function createResponseIdForwarding(deps: {
  upstreams: UpstreamSet;
  logger: Logger;
  /** How long an upstream may take to say whether it holds a response. */
  locateTimeoutMs: number;
}) {
  const owners = new Map<string, Upstream>();

  function remember(id: string, upstream: Upstream): void {
    owners.delete(id);
    owners.set(id, upstream);
    // Maps iterate in insertion order: the first key is the least recently used.
    if (owners.size > REMEMBERED) owners.delete(owners.keys().next().value as string);
  }

  /** The upstreams that may hold a response this key made. */
  function candidatesFor(key: KeyRecord | undefined): readonly Upstream[] {
    const all = deps.upstreams.upstreams;
    if (!key?.models) return all;
    const serving = new Set<Upstream>();
    for (const model of key.models) for (const u of deps.upstreams.registry.replicasOf(model)) serving.add(u);
    return all.filter((u) => serving.has(u));
  }

  /**
   * "unknown" when the upstream could not answer (its health is the balancer's business); a server
   * without the Responses API (404, 501) does not hold it.
   */
  async function holds(upstream: Upstream, id: string): Promise<"yes" | "no" | "unknown"> {
    const status = await statusOfGet(upstream, `/v1/responses/${id}`, deps.locateTimeoutMs);
    if (status === 404 || status === 501) return "no";
    return status === undefined || status >= 500 ? "unknown" : "yes";
  }

  /** The upstream holding the response, or whether none does ("none") or one could not say. */
  async function ownerOf(
    id: string,
    candidates: readonly Upstream[],
  ): Promise<Upstream | "none" | "unknown"> {
    const known = owners.get(id);
    if (known && candidates.includes(known)) return known;
    const answers = await Promise.all(candidates.map((u) => holds(u, id)));
    const owner = candidates[answers.indexOf("yes")];
    if (owner) remember(id, owner);
    return owner ?? (answers.includes("unknown") ? "unknown" : "none");
  }

  return async function forwardByResponseId(
    req: IncomingMessage,
    res: ServerResponse,
    request: {
      responseId: string;
      upstreamPath: string;
      call: V1Call;
      key: KeyRecord | undefined;
    },
  ): Promise<ResponseIdForwarding> {
    const id = request.responseId;
    const candidates = candidatesFor(request.key);
    const inRotation = candidates.filter((u) => u.probeAtMs === 0);
    if (inRotation.length === 0 && candidates.length > 0) {
      const error = new AppError("upstream_unavailable", "No upstream can be reached right now");
      return { kind: "refused", error };
    }
    const owner = await ownerOf(id, inRotation);
    if (owner === "unknown") {
      const error = new AppError(
        "upstream_unavailable",
        "An upstream that may hold this response could not be reached; retry shortly",
      );
      return { kind: "refused", error };
    }
    if (owner === "none") {
      // The same answer whether no upstream holds it or the key may not reach the one that does.
      const error = new AppError("not_found", `No response with id \`${id}\` was found.`, {
        param: "response_id",
      });
      return { kind: "refused", error };
    }
    const key = request.key;
    const caller: CallerIdentity | undefined = key && {
      keyId: key.id,
      accountId: key.accountId,
      clientIp: request.call.clientIp,
    };
    const busy = "The upstream holding this response is at capacity";
    const sent = await sendToUpstream(
      deps.upstreams.balancer,
      owner,
      async (upstream) => {
        const result = await forwardToUpstream(upstream, req, res, {
          path: request.upstreamPath,
          requestId: request.call.requestId,
          gone: request.call.gone,
          body: undefined,
          caller,
        });
        if (result.outcome !== "failed") return { ok: true, value: result };
        logFailedCall(deps.logger, { reqId: request.call.requestId, upstream: upstream.label }, result);
        return { ok: false, failure: result.failure };
      },
      busy,
    );
    if (!sent.ok) return { kind: "refused", error: sent.error, upstream: owner.label };
    const { outcome, upstreamMs } = sent.value;
    if (outcome === "client_aborted") return { kind: "client_aborted", upstreamMs, upstream: owner.label };
    return { kind: "forwarded", upstreamMs, upstream: owner.label, brokenOff: outcome === "cut" };
  };
}
