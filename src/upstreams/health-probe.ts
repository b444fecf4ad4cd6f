import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import type { Balancer } from "./balancer.js";
import { statusOfGet, type Upstream } from "./upstream.js";

// Puts replicas back into rotation. A replica taken out (a refused connection, a reset, no headers in
// time) is probed when its time out is up, and again every DOWN_FOR_MS while probes fail; only a probe
// that gets an answer puts it back. Were it simply tried again by the next request, that client would
// pay for a replica still dead: a refused connection and a retry, or a whole timeout for a stalled one.

/** True when the upstream answered the probe. Never throws. */
export type ProbeUpstream = (upstream: Upstream) => Promise<boolean>;

export interface HealthProbe {
  /** Probes every replica out of rotation whose time is up; resolves when those probes have ended. */
  probeDue(): Promise<void>;
  /** Calls probeDue every `everyMs` in the background. */
  start(): void;
  stop(): void;
}

export function createHealthProbe(deps: {
  upstreams: () => readonly Upstream[];
  balancer: Balancer;
  clock: Clock;
  probe: ProbeUpstream;
  logger: Logger;
  everyMs: number;
}): HealthProbe {
  // A probe slower than the interval must not be doubled by the next tick.
  const probing = new Set<Upstream>();
  let timer: ReturnType<typeof setInterval> | undefined;

  async function probeOne(upstream: Upstream): Promise<void> {
    probing.add(upstream);
    try {
      const answered = await deps.probe(upstream);
      if (upstream.probeAtMs === 0) return;
      if (answered) {
        deps.balancer.markUp(upstream);
        deps.logger.info(
          { upstream: upstream.label },
          "upstream answered its health probe: back in rotation",
        );
      } else deps.balancer.markDown(upstream);
    } finally {
      probing.delete(upstream);
    }
  }

  function probeDue(): Promise<void> {
    const now = deps.clock.now().getTime();
    const due = deps.upstreams().filter((u) => u.probeAtMs !== 0 && u.probeAtMs <= now && !probing.has(u));
    return Promise.all(due.map(probeOne)).then(() => undefined);
  }

  return {
    probeDue,
    start() {
      if (timer) return;
      timer = setInterval(() => void probeDue(), deps.everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/**
 * The probe: the upstream's GET /v1/models (every OpenAI-compatible server has it, vLLM answers it
 * from memory) with its api key. Any answer below 500 means the server is up and answering: a 401 from
 * a wrong key would be a configuration fault that real requests see too, not a reason to keep it out.
 */
export function probeOver(timeoutMs: number): ProbeUpstream {
  return async (upstream) => {
    const status = await statusOfGet(upstream, "/v1/models", timeoutMs);
    return status !== undefined && status < 500;
  };
}
