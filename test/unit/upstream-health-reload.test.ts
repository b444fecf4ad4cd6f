import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging/logger.js";
import { manualClock } from "../../src/time/clock.js";
import { probeOver } from "../../src/upstreams/health-probe.js";
import type { ModelObject } from "../../src/upstreams/model-registry.js";
import { createUpstreamsReloader } from "../../src/upstreams/reload-upstreams.js";
import { sendToReplica } from "../../src/upstreams/send-to-replica.js";
import type { Upstream } from "../../src/upstreams/upstream.js";
import type { UpstreamSpec } from "../../src/upstreams/upstream-config.js";
import { watchUpstreams } from "../../src/upstreams/upstream-metrics.js";
import { createUpstreamSet, type UpstreamSet } from "../../src/upstreams/upstream-set.js";

// The health probe against real sockets (an answer, a 5xx, a refused port, a server that never
// answers), and UPSTREAMS_FILE read again from a real file into a running upstream set.

const servers: Server[] = [];
const sets: UpstreamSet[] = [];
afterEach(async () => {
  await Promise.all(sets.splice(0).map((s) => s.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(answer: (path: string, headers: IncomingHttpHeaders) => number | "never") {
  const server = createServer((req, res) => {
    const status = answer(req.url ?? "", req.headers);
    if (status === "never") return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end('{"object":"list","data":[]}');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const spec = (url: string, more: Partial<UpstreamSpec> = {}): UpstreamSpec => ({
  url,
  apiKey: undefined,
  models: undefined,
  maxConcurrency: undefined,
  anyModel: false,
  ...more,
});

function setOf(specs: UpstreamSpec[], fetchModels = async (_u: Upstream): Promise<ModelObject[]> => []) {
  const set = createUpstreamSet(
    { upstreams: specs, upstreamTimeoutMs: 1_000, upstreamQueueTimeoutMs: 100 },
    { clock: manualClock(), logger: createLogger({ level: "silent" }), fetchModels },
  );
  sets.push(set);
  return set;
}

describe("the health probe", () => {
  it("asks GET /v1/models with the upstream's key; any answer under 500 is up", async () => {
    const seen: { path: string; auth: string | undefined }[] = [];
    const ok = await serve((path, headers) => {
      seen.push({ path, auth: headers.authorization });
      return 401;
    });
    const broken = await serve(() => 503);
    const set = setOf([spec(`${ok}/base`, { apiKey: "up-key" }), spec(broken)]);
    const probe = probeOver(1_000);
    expect(await probe(set.upstreams[0] as Upstream)).toBe(true);
    expect(seen).toEqual([{ path: "/base/v1/models", auth: "Bearer up-key" }]);
    expect(await probe(set.upstreams[1] as Upstream)).toBe(false);
  });

  it("counts a refused connection and a server that never answers as still down", async () => {
    const refusing = await serve(() => 200);
    const stalled = await serve(() => "never");
    const set = setOf([spec(refusing), spec(stalled)]);
    const [closed] = servers;
    await new Promise<void>((r) => closed?.close(() => r()));
    const probe = probeOver(50);
    expect(await probe(set.upstreams[0] as Upstream)).toBe(false);
    expect(await probe(set.upstreams[1] as Upstream)).toBe(false);
  });
});

describe("UPSTREAMS_FILE read again", () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "keyward-reload-")), "upstreams.yaml");
    writeFileSync(path, text);
    return path;
  };

  it("adds and removes upstreams, keeping an unchanged one's state and learned models", async () => {
    const learned = new Map([["http://b:1", ["vllm-small"]]]);
    const set = setOf([spec("http://a:1", { models: ["vllm-primary"] }), spec("http://b:1")], async (u) =>
      (learned.get(u.label) ?? []).map((id) => ({ id, object: "model", created: 1, owned_by: "vllm" })),
    );
    await set.registry.refresh();
    const b = set.upstreams[1] as Upstream;
    b.inFlight = 3;
    const path = file(
      "- url: http://b:1\n- url: http://c:1\n  models: [vllm-primary, vllm-large]\n  max_concurrency: 4\n",
    );
    learned.set("http://b:1", ["vllm-small", "vllm-late"]);
    const reload = createUpstreamsReloader(path, set, createLogger({ level: "silent" }));
    expect(await reload()).toEqual({ ok: true, upstreams: 2 });
    expect(set.upstreams.map((u) => u.label)).toEqual(["http://b:1", "http://c:1"]);
    expect(set.upstreams[0]).toBe(b);
    expect(b.inFlight).toBe(3);
    expect(set.upstreams[1]?.gate?.max).toBe(4);
    expect(set.registry.replicasOf("vllm-primary").map((u) => u.label)).toEqual(["http://c:1"]);
    expect(set.registry.list().map((m) => m.id)).toEqual([
      "vllm-small",
      "vllm-late",
      "vllm-primary",
      "vllm-large",
    ]);
    const chosen = set.balancer.choose("vllm-late");
    expect(chosen.ok && chosen.upstream).toBe(b);
  });

  it("keeps the old upstreams when the new file is bad, logging one line that names the entry", async () => {
    const set = setOf([spec("http://a:1", { models: ["vllm-primary"] })]);
    const before = set.upstreams;
    const lines: string[] = [];
    const logger = createLogger({ level: "info" }, { write: (line: string) => lines.push(line) });
    const path = file("- url: http://b:1\n- url: ftp://c:1\n  models: [x]\n");
    const reload = createUpstreamsReloader(path, set, logger);
    const result = await reload();
    expect(result).toEqual({ ok: false, message: expect.stringContaining("entry 2 (ftp://c:1): url:") });
    expect(set.upstreams).toBe(before);
    expect(set.registry.replicasOf("vllm-primary")).toEqual(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("entry 2 (ftp://c:1)");
    expect(lines[0]).toContain('"level":50');
    expect(lines[0]?.split("\n").filter(Boolean)).toHaveLength(1);

    writeFileSync(path, "not: [a, list");
    expect((await reload()).ok).toBe(false);
    expect(set.upstreams).toBe(before);

    // A value that is no URL at all (this threw, and the signal handler swallowed it without a word).
    writeFileSync(path, "- url: http://vllm:s3cret@10.0.0.5:80000\n");
    expect(await reload()).toEqual({ ok: false, message: expect.stringContaining("entry 1") });
    expect(set.upstreams).toBe(before);
    const last = lines.at(-1) ?? "";
    expect(last).toContain("url: must be an http:// or https:// URL");
    expect(last).not.toContain("s3cret");
  });
});

describe("models in flight in /metrics", () => {
  it("shows every served model, and drops one no upstream serves any more once its last request ends", async () => {
    const learned = ["vllm-small", "vllm-late"];
    const set = setOf([spec("http://b:1")], async () =>
      learned.map((id) => ({ id, object: "model", created: 1, owned_by: "vllm" })),
    );
    await set.registry.refresh();
    const registry = new Registry();
    watchUpstreams(registry, set);
    const inFlight = async () =>
      (await registry.metrics()).split("\n").filter((l) => l.startsWith("keyward_model_in_flight{"));
    expect(await inFlight()).toEqual([
      'keyward_model_in_flight{model="vllm-small"} 0',
      'keyward_model_in_flight{model="vllm-late"} 0',
    ]);

    let finish: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const sent = sendToReplica(set, "vllm-late", async () => {
      await answered;
      return { ok: true as const, value: "done" };
    });
    learned.pop(); // the server stops serving vllm-late while a request for it is still running
    await set.registry.refresh();
    expect(await inFlight()).toEqual([
      'keyward_model_in_flight{model="vllm-small"} 0',
      'keyward_model_in_flight{model="vllm-late"} 1',
    ]);
    finish();
    expect((await sent).ok).toBe(true);
    expect(await inFlight()).toEqual(['keyward_model_in_flight{model="vllm-small"} 0']);
  });
});
