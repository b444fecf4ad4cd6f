import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logging/logger.js";
import { manualClock } from "../../src/time/clock.js";
import { classifyUpstreamError, createBalancer, DOWN_FOR_MS } from "../../src/upstreams/balancer.js";
import { createConcurrencyGate } from "../../src/upstreams/concurrency-gate.js";
import { createHealthProbe } from "../../src/upstreams/health-probe.js";
import { createModelRegistry, type ModelObject } from "../../src/upstreams/model-registry.js";
import { type Attempt, sendToReplica } from "../../src/upstreams/send-to-replica.js";
import { createUpstream, leaseUpstream, type Upstream } from "../../src/upstreams/upstream.js";
import type { UpstreamSpec } from "../../src/upstreams/upstream-config.js";

const made: Upstream[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(made.splice(0).map((u) => u.pool.close()));
});

function upstream(url: string, more: Partial<UpstreamSpec> = {}): Upstream {
  const u = createUpstream(
    { url, apiKey: undefined, models: undefined, maxConcurrency: undefined, anyModel: false, ...more },
    { headersTimeoutMs: 1_000, slotWaitMs: 1_000 },
  );
  made.push(u);
  return u;
}

const model = (id: string): ModelObject => ({ id, object: "model", created: 1, owned_by: "vllm" });

describe("model registry", () => {
  it("routes listed models without asking, learns the others, and merges one list", async () => {
    const a = upstream("http://a:1");
    const b = upstream("http://b:1");
    const c = upstream("http://c:1");
    const answers = new Map([
      [b, [model("llama"), model("shared")]],
      [c, [model("shared")]],
    ]);
    const asked: Upstream[] = [];
    const registry = createModelRegistry([a, b, c], {
      configured: new Map([[a, ["qwen", "shared"]]]),
      fetchModels: async (u) => {
        asked.push(u);
        return answers.get(u) ?? [];
      },
      refreshMs: 30_000,
      createdAtSeconds: 42,
    });
    expect(registry.replicasOf("qwen")).toEqual([a]);
    expect(registry.complete).toBe(false);
    await registry.refresh();
    expect(asked).toEqual([b, c]);
    expect(registry.complete).toBe(true);
    expect(registry.list().map((m) => m.id)).toEqual(["qwen", "shared", "llama"]);
    expect(registry.replicasOf("shared")).toEqual([a, b, c]);
    expect(registry.replicasOf("nobody")).toEqual([]);
    expect(registry.find("qwen")).toEqual({ id: "qwen", object: "model", created: 42, owned_by: "keyward" });

    // A model that appears later is routable after the next refresh; a failed read keeps what was known.
    answers.set(c, [model("shared"), model("late")]);
    answers.delete(b);
    await registry.refresh();
    expect(registry.replicasOf("late")).toEqual([c]);
    expect(registry.knows("llama")).toBe(false);
  });

  it("keeps an upstream's models when its list cannot be read, and reports the failure", async () => {
    const b = upstream("http://b:1");
    let fail = false;
    const failures: Upstream[] = [];
    const registry = createModelRegistry([b], {
      configured: new Map(),
      fetchModels: async () => {
        if (fail) throw new Error("ECONNREFUSED");
        return [model("llama")];
      },
      refreshMs: 30_000,
      createdAtSeconds: 1,
      onRefreshFailed: (u) => failures.push(u),
    });
    await registry.refresh();
    fail = true;
    await registry.refresh();
    expect(registry.replicasOf("llama")).toEqual([b]);
    expect(failures).toEqual([b]);
  });

  it("sends models nobody lists to the single UPSTREAM_URL, which serves every model", async () => {
    const legacy = upstream("http://legacy:1", { anyModel: true });
    const registry = createModelRegistry([legacy], {
      configured: new Map(),
      fetchModels: async () => [model("vllm-primary")],
      refreshMs: 30_000,
      createdAtSeconds: 1,
    });
    expect(registry.replicasOf("anything")).toEqual([legacy]);
  });
});

describe("balancer", () => {
  function setUp() {
    const clock = manualClock(new Date("2026-01-01T00:00:00Z"));
    const a = upstream("http://a:1");
    const b = upstream("http://b:1");
    const registry = createModelRegistry([a, b], {
      configured: new Map([
        [a, ["m"]],
        [b, ["m"]],
      ]),
      fetchModels: async () => [],
      refreshMs: 30_000,
      createdAtSeconds: 1,
    });
    return { clock, a, b, balancer: createBalancer(registry, clock) };
  }

  it("picks the replica with the fewest requests in flight, taking turns on a tie", () => {
    const { a, b, balancer } = setUp();
    const first = balancer.choose("m");
    const second = balancer.choose("m");
    expect(first.ok && second.ok && first.upstream !== second.upstream).toBe(true);
    a.inFlight = 3;
    b.inFlight = 1;
    for (let i = 0; i < 4; i++) expect(balancer.choose("m")).toEqual({ ok: true, upstream: b });
    expect(balancer.choose("other")).toEqual({ ok: false, reason: "unknown_model" });
  });

  it("leaves a failed replica out until a probe finds it answering; all out is at once all_down", async () => {
    const { clock, a, b, balancer } = setUp();
    balancer.markDown(a);
    for (let i = 0; i < 3; i++) expect(balancer.choose("m")).toEqual({ ok: true, upstream: b });
    expect(balancer.choose("m", b)).toEqual({ ok: false, reason: "all_down" });
    balancer.markDown(b);
    expect(balancer.choose("m")).toEqual({ ok: false, reason: "all_down" });

    const answering = new Set<Upstream>();
    const probed: Upstream[] = [];
    const health = createHealthProbe({
      upstreams: () => [a, b],
      balancer,
      clock,
      probe: async (u) => {
        probed.push(u);
        return answering.has(u);
      },
      logger: createLogger({ level: "silent" }),
      everyMs: 1_000,
    });
    // Time alone puts nothing back, and nothing is probed before its 10 s are up.
    clock.advance(DOWN_FOR_MS - 1);
    await health.probeDue();
    expect(probed).toEqual([]);
    clock.advance(1);
    await health.probeDue();
    expect(probed).toEqual([a, b]);
    expect(balancer.isUp(a)).toBe(false);
    expect(balancer.choose("m")).toEqual({ ok: false, reason: "all_down" });
    // A failed probe waits another 10 s before the next.
    answering.add(a);
    clock.advance(DOWN_FOR_MS - 1);
    await health.probeDue();
    expect(probed).toHaveLength(2);
    clock.advance(1);
    await health.probeDue();
    expect(balancer.isUp(a)).toBe(true);
    expect(balancer.isUp(b)).toBe(false);
    expect(balancer.choose("m")).toEqual({ ok: true, upstream: a });
  });

  it("classifies failures: no connection may be retried elsewhere, a reset or timeout may not", () => {
    expect(classifyUpstreamError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(
      "not_connected",
    );
    expect(
      classifyUpstreamError(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })])),
    ).toBe("not_connected");
    expect(classifyUpstreamError(Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }))).toBe("reset");
    expect(classifyUpstreamError(Object.assign(new Error("x"), { code: "UND_ERR_HEADERS_TIMEOUT" }))).toBe(
      "timeout",
    );
    expect(classifyUpstreamError(new Error("x"))).toBe("other");
  });
});

describe("model registry, an upstream still starting", () => {
  it("asks an upstream whose list was never read every few seconds, the others every refresh", async () => {
    vi.useFakeTimers();
    const starting = upstream("http://starting:1");
    const running = upstream("http://running:1");
    let loaded = false;
    const asked: string[] = [];
    const registry = createModelRegistry([starting, running], {
      configured: new Map(),
      fetchModels: async (u) => {
        asked.push(u.label);
        if (u === running) return [model("small")];
        if (!loaded) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        return [model("primary")];
      },
      refreshMs: 30_000,
      unreadRetryMs: 5_000,
      createdAtSeconds: 1,
    });
    registry.start();
    await registry.ready();
    expect(registry.knows("small")).toBe(true);
    expect(registry.knows("primary")).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(asked).toEqual(["http://starting:1", "http://running:1", "http://starting:1"]);
    loaded = true; // the server has loaded its model
    await vi.advanceTimersByTimeAsync(5_000);
    expect(registry.knows("primary")).toBe(true);
    // Read once, it is asked with the others at the regular refresh only.
    const before = asked.length;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(asked.length).toBe(before);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(asked.slice(before)).toEqual(["http://starting:1", "http://running:1"]);
    registry.stop();
  });
});

describe("model registry, an upstream that never answers", () => {
  it("keeps refreshing the other upstreams every 30 s while it retries the silent one", async () => {
    vi.useFakeTimers();
    const silent = upstream("http://silent:1");
    const healthy = upstream("http://healthy:1");
    const served = ["small"];
    const asked: string[] = [];
    const registry = createModelRegistry([silent, healthy], {
      configured: new Map(),
      // As fetchModelsOver does against a host that drops packets: a failure at its 5-second timeout.
      fetchModels: (u) => {
        asked.push(u.label);
        if (u === healthy) return Promise.resolve(served.map(model));
        return new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), 5_000));
      },
      refreshMs: 30_000,
      unreadRetryMs: 5_000,
      createdAtSeconds: 1,
    });
    registry.start();
    served.push("late"); // the healthy server starts serving another model after keyward's first look
    await vi.advanceTimersByTimeAsync(61_000);
    expect(asked.filter((label) => label === "http://healthy:1")).toHaveLength(3); // at 0, 30 and 60 s
    expect(registry.knows("late")).toBe(true);
    expect(asked.filter((label) => label === "http://silent:1").length).toBeGreaterThan(6);
    registry.stop();
  });
});

describe("per-upstream concurrency", () => {
  it("grants slots up to the cap, passes a released slot to the next in line, and gives up after the wait", async () => {
    vi.useFakeTimers();
    const gate = createConcurrencyGate(2, { waitMs: 1_000, maxWaiting: 1 });
    expect(gate.acquire()).toBe(true);
    expect(gate.acquire()).toBe(true);
    const waiting = gate.acquire();
    expect(await gate.acquire()).toBe(false); // the line is full
    gate.release();
    expect(await waiting).toBe(true);
    expect(gate.inUse).toBe(2);
    const late = gate.acquire();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toBe(false);
    gate.release();
    gate.release();
    expect(gate.inUse).toBe(0);
  });

  it("counts in flight per upstream and holds a slot until the lease is released", async () => {
    vi.useFakeTimers();
    const capped = upstream("http://capped:1", { maxConcurrency: 1 });
    const lease = await leaseUpstream(capped);
    expect(capped.inFlight).toBe(1);
    const next = leaseUpstream(capped);
    lease?.release();
    lease?.release(); // twice is once
    const second = await next;
    expect(second?.upstream).toBe(capped);
    expect(capped.inFlight).toBe(1);
    const third = leaseUpstream(capped);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await third).toBeUndefined();
    second?.release();
    expect(capped.inFlight).toBe(0);
  });
});

describe("sending to a replica", () => {
  function twoReplicas(more: Partial<UpstreamSpec> = {}) {
    const clock = manualClock(new Date("2026-01-01T00:00:00Z"));
    const a = upstream("http://a:1", more);
    const b = upstream("http://b:1", more);
    const registry = createModelRegistry([a, b], {
      configured: new Map([
        [a, ["m"]],
        [b, ["m"]],
      ]),
      fetchModels: async () => [],
      refreshMs: 30_000,
      createdAtSeconds: 1,
    });
    const balancer = createBalancer(registry, clock);
    return { a, b, balancer, set: { balancer, registry, inFlightByModel: new Map<string, number>() } };
  }

  it("tries another replica once when the first refused the connection, and takes the first out", async () => {
    const { a, b, balancer, set } = twoReplicas();
    const tried: Upstream[] = [];
    const sent = await sendToReplica(set, "m", async (u): Promise<Attempt<string>> => {
      tried.push(u);
      return tried.length === 1 ? { ok: false, failure: "not_connected" } : { ok: true, value: "answer" };
    });
    expect(sent).toMatchObject({ ok: true, value: "answer" });
    expect(tried).toHaveLength(2);
    expect(new Set(tried)).toEqual(new Set([a, b]));
    const [first] = tried as [Upstream];
    expect(balancer.isUp(first)).toBe(false);
    expect(first.inFlight + (tried[1] as Upstream).inFlight).toBe(0);
  });

  it("never repeats a request cut after connecting or timed out, and answers 502 or 504", async () => {
    const { set } = twoReplicas();
    let calls = 0;
    const reset = await sendToReplica(set, "m", async () => {
      calls++;
      return { ok: false, failure: "reset" } as const;
    });
    expect(reset).toMatchObject({ ok: false, error: { code: "upstream_unavailable" } });
    const timedOut = await sendToReplica(set, "m", async () => {
      calls++;
      return { ok: false, failure: "timeout" } as const;
    });
    expect(timedOut).toMatchObject({ ok: false, error: { code: "upstream_timeout" } });
    expect(calls).toBe(2);
  });

  it("answers 502 at once when every replica is out, and model_not_found for a model nobody serves", async () => {
    const { a, b, balancer, set } = twoReplicas();
    balancer.markDown(a);
    balancer.markDown(b);
    let calls = 0;
    const down = await sendToReplica(set, "m", async () => {
      calls++;
      return { ok: true, value: 1 } as const;
    });
    expect(down).toMatchObject({ ok: false, error: { code: "upstream_unavailable", status: 502 } });
    const unknown = await sendToReplica(set, "other", async () => ({ ok: true, value: 1 }) as const);
    expect(unknown).toMatchObject({
      ok: false,
      error: {
        code: "model_not_found",
        message: "The model `other` does not exist or you do not have access to it.",
      },
    });
    expect(calls).toBe(0);
  });

  it("answers 503 with Retry-After when the replica's cap stays full for the whole wait", async () => {
    vi.useFakeTimers();
    const { a, b, set } = twoReplicas({ maxConcurrency: 1 });
    a.inFlight = 0;
    const first = await leaseUpstream(a);
    const second = await leaseUpstream(b);
    const busy = sendToReplica(set, "m", async () => ({ ok: true, value: 1 }) as const);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await busy).toMatchObject({
      ok: false,
      error: { code: "upstream_busy", status: 503, headers: { "retry-after": "1" } },
    });
    first?.release();
    second?.release();
  });
});
