import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import { type Balancer, createBalancer } from "./balancer.js";
import {
  createModelRegistry,
  type FetchModels,
  fetchModelsOver,
  type ModelRegistry,
} from "./model-registry.js";
import { createUpstream, type Upstream } from "./upstream.js";
import type { UpstreamSpec } from "./upstream-config.js";

// The upstreams of one web process, built from the configuration: their pools, the model registry
// that knows who serves what, and the balancer that picks a replica per request.

export const MODELS_REFRESH_MS = 30_000;
/** How long a request may wait for a slot at an upstream's max_concurrency before a 503. */
export const SLOT_WAIT_MS = 5_000;

export interface UpstreamSet {
  upstreams: readonly Upstream[];
  registry: ModelRegistry;
  balancer: Balancer;
  /** Requests in flight per model, for /metrics; models the registry does not know count as "unlisted". */
  inFlightByModel: Map<string, number>;
  close(): Promise<void>;
}

export function createUpstreamSet(
  config: { upstreams: readonly UpstreamSpec[]; upstreamTimeoutMs: number },
  deps: { clock: Clock; logger: Logger; fetchModels?: FetchModels; slotWaitMs?: number },
): UpstreamSet {
  const upstreams = config.upstreams.map((spec) =>
    createUpstream(spec, {
      headersTimeoutMs: config.upstreamTimeoutMs,
      slotWaitMs: deps.slotWaitMs ?? SLOT_WAIT_MS,
    }),
  );
  const configured = new Map<Upstream, readonly string[]>();
  config.upstreams.forEach((spec, i) => {
    if (spec.models) configured.set(upstreams[i] as Upstream, spec.models);
  });
  // One line per upstream while its list cannot be read, not one every 30 s.
  const failing = new Set<Upstream>();
  const registry = createModelRegistry(upstreams, {
    configured,
    fetchModels: async (upstream) => {
      const models = await (deps.fetchModels ?? fetchModelsOver(Math.min(config.upstreamTimeoutMs, 5_000)))(
        upstream,
      );
      if (failing.delete(upstream))
        deps.logger.info({ upstream: upstream.label }, "upstream model list read again");
      return models;
    },
    refreshMs: MODELS_REFRESH_MS,
    createdAtSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    onRefreshFailed: (upstream, err) => {
      if (failing.has(upstream)) return;
      failing.add(upstream);
      deps.logger.warn(
        // `cause`, not `err`: an expected network failure needs its code, not a stack trace.
        {
          upstream: upstream.label,
          cause: { code: (err as { code?: string })?.code, message: String((err as Error)?.message ?? err) },
        },
        "could not read the upstream's model list; keeping what was known",
      );
    },
  });
  return {
    upstreams,
    registry,
    balancer: createBalancer(registry, deps.clock),
    inFlightByModel: new Map(),
    async close() {
      registry.stop();
      await Promise.all(upstreams.map((u) => u.pool.close()));
    },
  };
}
