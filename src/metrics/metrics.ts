import type { Queue } from "bullmq";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { withTimeout } from "../time/with-timeout.js";

// One registry per app instance, never prom-client's global one: tests build several apps in one
// process, and two registries must not count each other's requests.

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  v1Requests: Counter<"outcome">;
  upstreamDuration: Histogram<"route">;
  upstreamRequests: Counter<"upstream" | "model" | "outcome">;
  upstreamFirstByte: Histogram<"upstream" | "model">;
}

export interface MetricsSources {
  /** Queues whose depths are read at each scrape, by name. */
  queues: Record<string, Queue>;
  /** How long a scrape waits for Redis before leaving the queue depths out. */
  queueTimeoutMs?: number;
}

const JOB_STATES = ["waiting", "active", "delayed", "failed"] as const;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: "keyward_http_request_duration_seconds",
    help: "Time from request to the end of the response, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const v1Requests = new Counter({
    name: "keyward_v1_requests_total",
    help: "Requests to /v1 by outcome: ok, or the error code answered",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: "keyward_upstream_duration_seconds",
    help: "Time the upstream took to answer (response headers) for forwarded /v1 requests",
    labelNames: ["route"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  // Per upstream and model: `upstream` is its configured URL, `model` a model some upstream serves
  // ("unlisted" otherwise), so neither label ever takes an arbitrary value from a request.
  const upstreamRequests = new Counter({
    name: "keyward_upstream_requests_total",
    help: "Requests sent to each upstream, by model and outcome: ok, client_aborted, or the error code answered",
    labelNames: ["upstream", "model", "outcome"] as const,
    registers: [registry],
  });
  const upstreamFirstByte = new Histogram({
    name: "keyward_upstream_first_byte_seconds",
    help: "Time to each upstream's response headers (its first byte), by model",
    labelNames: ["upstream", "model"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const timeoutMs = sources.queueTimeoutMs ?? 2_000;
  new Gauge({
    name: "keyward_queue_jobs",
    help: "Jobs in each BullMQ queue by state, read at scrape time (failed = kept failed jobs)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const entries = Object.entries(sources.queues);
      const counts = await Promise.all(
        entries.map(([, queue]) =>
          withTimeout(queue.getJobCounts(...JOB_STATES), timeoutMs).catch(() => undefined),
        ),
      );
      // With Redis away the depths are simply absent: a scrape must still answer, and quickly.
      entries.forEach(([name], i) => {
        const c = counts[i];
        if (!c) return;
        for (const state of JOB_STATES) this.set({ queue: name, state }, c[state] ?? 0);
      });
    },
  });

  return { registry, httpDuration, v1Requests, upstreamDuration, upstreamRequests, upstreamFirstByte };
}
