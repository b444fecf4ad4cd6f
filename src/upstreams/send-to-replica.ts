import { AppError } from "../errors/app-error.js";
import type { UpstreamFailure } from "./balancer.js";
import { leaseAtOnce, leaseUpstream, type Upstream } from "./upstream.js";
import type { UpstreamSet } from "./upstream-set.js";

// One request's way to a replica of its model: choose (fewest in flight, in rotation), take a slot
// (bounded wait at a cap), send, and on failure take the replica out of rotation. A request is tried
// on a second replica only when the first could not even be connected to: then the upstream cannot
// have started the work, and (the caller guarantees) nothing has been sent to the client. A reset or
// a timeout after connecting may have started a generation, so it is answered, never repeated.

/** How one try on one upstream went; `failure` only while nothing has been sent to the client. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; failure: UpstreamFailure };

export type Sent<T> =
  | { ok: true; value: T; upstream: Upstream }
  | { ok: false; error: AppError; upstream: Upstream | undefined };

export function modelNotFound(model: string): AppError {
  // The same answer for a model nobody serves and one the key may not use: nothing leaks.
  return new AppError(
    "model_not_found",
    `The model \`${model}\` does not exist or you do not have access to it.`,
  );
}

const allDown = (model: string) =>
  new AppError("upstream_unavailable", `No upstream serving the model \`${model}\` can be reached right now`);

export async function sendToReplica<T>(
  set: Pick<UpstreamSet, "balancer" | "registry" | "inFlightByModel">,
  model: string,
  attempt: (upstream: Upstream) => Promise<Attempt<T>>,
): Promise<Sent<T>> {
  // A label from client input only when it names a model some upstream serves: bounded cardinality.
  const label = set.registry.knows(model) ? model : "unlisted";
  const counts = set.inFlightByModel;
  counts.set(label, (counts.get(label) ?? 0) + 1);
  try {
    return await sendWithFailover(set, model, attempt);
  } finally {
    const left = (counts.get(label) ?? 1) - 1;
    if (left > 0) counts.set(label, left);
    else counts.delete(label);
  }
}

async function sendWithFailover<T>(
  set: Pick<UpstreamSet, "balancer">,
  model: string,
  attempt: (upstream: Upstream) => Promise<Attempt<T>>,
): Promise<Sent<T>> {
  const { balancer } = set;
  let tried: Upstream | undefined;
  for (let round = 0; round < 2; round++) {
    const choice = balancer.choose(model, tried);
    if (!choice.ok) {
      if (choice.reason === "unknown_model")
        return { ok: false, error: modelNotFound(model), upstream: undefined };
      return { ok: false, error: allDown(model), upstream: tried };
    }
    const upstream = choice.upstream;
    const busy = `The upstream serving the model \`${model}\` is at capacity`;
    const sent = await sendToUpstream(balancer, upstream, attempt, busy);
    if (sent.ok) return { ok: true, value: sent.value, upstream };
    if (!sent.retry) return { ok: false, error: sent.error, upstream };
    tried = upstream;
  }
  return { ok: false, error: allDown(model), upstream: tried };
}

/**
 * One try on one upstream: a slot (a bounded wait at its cap; `busy` names it in the 503), the attempt,
 * and what its outcome says of the upstream's health. `retry`: it could not be connected to, so the
 * work cannot have started and another replica may be tried.
 */
export async function sendToUpstream<T>(
  balancer: UpstreamSet["balancer"],
  upstream: Upstream,
  attempt: (upstream: Upstream) => Promise<Attempt<T>>,
  busy: string,
): Promise<{ ok: true; value: T } | { ok: false; error: AppError; retry: boolean }> {
  const lease = leaseAtOnce(upstream) ?? (await leaseUpstream(upstream));
  if (!lease) {
    const error = new AppError("upstream_busy", `${busy}; retry shortly`, {
      headers: { "retry-after": "1" },
    });
    return { ok: false, error, retry: false };
  }
  let result: Attempt<T>;
  try {
    result = await attempt(upstream);
  } finally {
    lease.release();
  }
  if (result.ok) {
    if (upstream.probeAtMs !== 0) balancer.markUp(upstream);
    return result;
  }
  upstream.failedCalls[result.failure]++;
  // "other" is no sign of the upstream's health (a malformed answer, say): it stays in rotation.
  if (result.failure !== "other") balancer.markDown(upstream);
  const error =
    result.failure === "timeout"
      ? new AppError("upstream_timeout", "The upstream did not answer in time")
      : new AppError("upstream_unavailable", "The upstream could not be reached");
  return { ok: false, error, retry: result.failure === "not_connected" };
}
