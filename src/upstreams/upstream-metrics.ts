import { Counter, Gauge, type Registry } from "prom-client";
import type { UpstreamFailure } from "./balancer.js";
import type { UpstreamSet } from "./upstream-set.js";

// What the upstreams are doing, read at scrape time: requests in flight per upstream and per model,
// whether each upstream is in rotation, and its failed calls (a refused connection retried on another
// replica counts here, though the client never saw it).
export function watchUpstreams(registry: Registry, set: UpstreamSet): void {
  new Gauge({
    name: "keyward_upstream_in_flight",
    help: "Requests in flight on each upstream",
    labelNames: ["upstream"] as const,
    registers: [registry],
    collect() {
      // An upstream removed by a reload must not linger in the scrape.
      this.reset();
      for (const upstream of set.upstreams) this.set({ upstream: upstream.label }, upstream.inFlight);
    },
  });
  new Gauge({
    name: "keyward_model_in_flight",
    help: "Requests in flight per model (unlisted: models no upstream lists, sent to UPSTREAM_URL)",
    labelNames: ["model"] as const,
    registers: [registry],
    collect() {
      // Every model served now, at 0 when idle; a model no upstream serves any more leaves the scrape
      // once its last request has ended.
      this.reset();
      for (const model of set.registry.list()) this.set({ model: model.id }, 0);
      for (const [model, count] of set.inFlightByModel) this.set({ model }, count);
    },
  });
  new Gauge({
    name: "keyward_upstream_up",
    help: "1 while an upstream is in rotation, 0 from a refused, reset or timed-out call until a health probe gets an answer",
    labelNames: ["upstream"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const upstream of set.upstreams)
        this.set({ upstream: upstream.label }, set.balancer.isUp(upstream) ? 1 : 0);
    },
  });
  new Counter({
    name: "keyward_upstream_failed_calls_total",
    help: "Calls to each upstream that failed before an answer began: not_connected, reset, timeout, other",
    labelNames: ["upstream", "failure"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const upstream of set.upstreams) {
        for (const [failure, count] of Object.entries(upstream.failedCalls) as [UpstreamFailure, number][]) {
          if (count > 0) this.inc({ upstream: upstream.label, failure }, count);
        }
      }
    },
  });
}
