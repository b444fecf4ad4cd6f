import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import { type Balancer, createBalancer } from "./balancer.js";
import { createHealthProbe, type HealthProbe, type ProbeUpstream, probeOver } from "./health-probe.js";
import {
  createModelRegistry,
  type FetchModels,
  fetchModelsOver,
  type ModelRegistry,
} from "./model-registry.js";
import { createUpstream, type Upstream } from "./upstream.js";
import type { UpstreamSpec } from "./upstream-config.js";

// The upstreams of one web process, built from the configuration: their pools, the model registry
// that knows who serves what, the balancer that picks a replica per request, and the health probe
// that puts failed replicas back. The list can be replaced while requests run (a reloaded
// UPSTREAMS_FILE); the registry and balancer objects stay the same, so whoever holds them sees the
// new list at once.

export const MODELS_REFRESH_MS = 30_000;
/** An upstream whose model list has never been read (still starting) is asked this often. */
export const MODELS_UNREAD_RETRY_MS = 5_000;
/** How often replicas out of rotation are looked at; each is probed once its time out is up. */
export const PROBE_CHECK_MS = 1_000;
/** A probe is a cheap GET: a replica that cannot answer it this fast is not back yet. */
export const PROBE_TIMEOUT_MS = 2_000;

export interface UpstreamSet {
  /** The upstreams in force (the array is replaced whole by reconfigure, never changed in place). */
  readonly upstreams: readonly Upstream[];
  registry: ModelRegistry;
  balancer: Balancer;
  health: HealthProbe;
  /** Requests in flight per model, for /metrics; models the registry does not know count as "unlisted". */
  inFlightByModel: Map<string, number>;
  /**
   * Serves these upstreams from now on: an entry whose url, api_key and max_concurrency are unchanged
   * keeps its connections, in-flight count and health; a removed one's pool closes once its requests
   * end. Resolves once the new upstreams' model lists have been read.
   */
  reconfigure(specs: readonly UpstreamSpec[]): Promise<void>;
  /** Model refreshes and health probes in the background. */
  start(): void;
  close(): Promise<void>;
}

export function createUpstreamSet(
  config: { upstreams: readonly UpstreamSpec[]; upstreamTimeoutMs: number; upstreamQueueTimeoutMs: number },
  deps: { clock: Clock; logger: Logger; fetchModels?: FetchModels; probe?: ProbeUpstream },
): UpstreamSet {
  const make = (spec: UpstreamSpec) =>
    createUpstream(spec, {
      headersTimeoutMs: config.upstreamTimeoutMs,
      slotWaitMs: config.upstreamQueueTimeoutMs,
    });
  const configuredOf = (specs: readonly UpstreamSpec[], list: readonly Upstream[]) => {
    const configured = new Map<Upstream, readonly string[]>();
    specs.forEach((spec, i) => {
      if (spec.models) configured.set(list[i] as Upstream, spec.models);
    });
    return configured;
  };
  let specs = config.upstreams;
  let upstreams = specs.map(make);
  // One line per upstream while its list cannot be read, not one every 30 s.
  const failing = new Set<Upstream>();
  const fetchModels = deps.fetchModels ?? fetchModelsOver(Math.min(config.upstreamTimeoutMs, 5_000));
  const registry = createModelRegistry(upstreams, {
    configured: configuredOf(specs, upstreams),
    fetchModels: async (upstream) => {
      const models = await fetchModels(upstream);
      if (failing.delete(upstream))
        deps.logger.info({ upstream: upstream.label }, "upstream model list read again");
      return models;
    },
    refreshMs: MODELS_REFRESH_MS,
    unreadRetryMs: MODELS_UNREAD_RETRY_MS,
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
  const balancer = createBalancer(registry, deps.clock);
  const health = createHealthProbe({
    upstreams: () => upstreams,
    balancer,
    clock: deps.clock,
    probe: deps.probe ?? probeOver(Math.min(config.upstreamTimeoutMs, PROBE_TIMEOUT_MS)),
    logger: deps.logger,
    everyMs: PROBE_CHECK_MS,
  });

  async function reconfigure(next: readonly UpstreamSpec[]): Promise<void> {
    const kept = new Map<string, Upstream>();
    specs.forEach((spec, i) => {
      kept.set(sameServer(spec), upstreams[i] as Upstream);
    });
    const nextUpstreams = next.map((spec) => {
      const same = kept.get(sameServer(spec));
      kept.delete(sameServer(spec));
      return same ?? make(spec);
    });
    specs = next;
    upstreams = nextUpstreams;
    const done = registry.reconfigure(nextUpstreams, configuredOf(next, nextUpstreams));
    // What is left was removed: its pool closes once the requests it still serves have ended.
    for (const removed of kept.values()) {
      failing.delete(removed);
      void removed.pool.close();
    }
    await done;
  }

  return {
    get upstreams() {
      return upstreams;
    },
    registry,
    balancer,
    health,
    inFlightByModel: new Map(),
    reconfigure,
    start() {
      registry.start();
      health.start();
    },
    async close() {
      registry.stop();
      health.stop();
      await Promise.all(upstreams.map((u) => u.pool.close()));
    },
  };
}

/** What must be unchanged for an upstream to keep its pool and state across a reload. */
function sameServer(spec: UpstreamSpec): string {
  return JSON.stringify([spec.url, spec.apiKey ?? null, spec.maxConcurrency ?? null]);
}
