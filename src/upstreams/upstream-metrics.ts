import { Gauge, type Registry } from "prom-client";
import type { UpstreamSet } from "./upstream-set.js";

// What the upstreams are doing right now, read at scrape time: requests in flight per upstream and
// per model, and whether each upstream is in rotation.
export function watchUpstreams(registry: Registry, set: UpstreamSet): void {
  new Gauge({
    name: "keyward_upstream_in_flight",
    help: "Requests in flight on each upstream",
    labelNames: ["upstream"] as const,
    registers: [registry],
    collect() {
      for (const upstream of set.upstreams) this.set({ upstream: upstream.label }, upstream.inFlight);
    },
  });
  new Gauge({
    name: "keyward_model_in_flight",
    help: "Requests in flight per model (unlisted: models no upstream lists, sent to UPSTREAM_URL)",
    labelNames: ["model"] as const,
    registers: [registry],
    collect() {
      for (const [model, count] of set.inFlightByModel) this.set({ model }, count);
    },
  });
  new Gauge({
    name: "keyward_upstream_up",
    help: "1 while an upstream is in rotation, 0 for the 10 s after a refused, reset or timed-out call",
    labelNames: ["upstream"] as const,
    registers: [registry],
    collect() {
      for (const upstream of set.upstreams)
        this.set({ upstream: upstream.label }, set.balancer.isUp(upstream) ? 1 : 0);
    },
  });
}
