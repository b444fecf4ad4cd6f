import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../src/time/clock.js";
import { DOWN_FOR_MS } from "../src/upstreams/balancer.js";
import { createUpstreamsReloader } from "../src/upstreams/reload-upstreams.js";
import { createUpstreamSet, type UpstreamSet } from "../src/upstreams/upstream-set.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { listen, rawRequest } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// Three vLLM stand-ins behind one /v1: two replicas of vllm-primary (one listed in the configuration,
// one learned from its GET /v1/models) and one vllm-small (learned). The test holds the upstream set
// and drives its model refreshes and its clock itself: no 30 s or 10 s waits.

let env: TestEnv;
let primaryA: UpstreamStub;
let primaryB: UpstreamStub;
let small: UpstreamStub;
let upstreams: UpstreamSet;
let server: { url: string; close(): Promise<void> };
let secret: string;
const clock = manualClock(new Date("2026-03-01T12:00:00Z"));

const chat = (model: string, extra: object = {}) =>
  rawRequest(server.url, {
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "x-api-key": secret, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }], ...extra }),
  });

/** Chat completions each replica received. */
const chats = (stub: UpstreamStub) => stub.traffic().filter((r) => r.url === "/v1/chat/completions").length;

beforeAll(async () => {
  [primaryA, primaryB, small] = await Promise.all([
    startUpstreamStub({ models: ["vllm-primary"] }),
    startUpstreamStub({ models: ["vllm-primary"] }),
    startUpstreamStub({ models: ["vllm-small"] }),
  ]);
  env = await createTestEnv({
    UPSTREAMS: JSON.stringify([
      { url: primaryA.url, models: ["vllm-primary"] },
      { url: primaryB.url },
      { url: small.url, api_key: "small-upstream-key" },
    ]),
  });
  upstreams = createUpstreamSet(env.config, { clock, logger: env.logger });
  await upstreams.registry.refresh();
  server = await listen((await env.makeApp({ clock, upstreams })).app);
  const account = await createAccount(env);
  ({ secret } = await insertApiKey(env, account.id));
});
afterAll(async () => {
  await server.close();
  await upstreams.close();
  await Promise.all([primaryA.close(), primaryB.close(), small.close()]);
  await env.close();
});

describe("routing by model", () => {
  it("sends each model to an upstream that serves it, the body byte for byte, and nothing for other models", async () => {
    const body = '{"model":"vllm-small",  "messages":[{"role":"user","content":"Hi \\u00e9"}]}';
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
    expect(small.traffic().at(-1)).toMatchObject({ url: "/v1/chat/completions", body });
    expect(small.traffic().at(-1)?.headers.authorization).toBe("Bearer small-upstream-key");

    const before = chats(primaryA) + chats(primaryB) + chats(small);
    const unknown = await chat("gpt-4o");
    expect(unknown.status).toBe(404);
    expect(unknown.json().error).toEqual({
      message: "The model `gpt-4o` does not exist or you do not have access to it.",
      type: "invalid_request_error",
      code: "model_not_found",
    });
    expect(chats(primaryA) + chats(primaryB) + chats(small)).toBe(before);
  });

  it("refuses a body without a model, or not JSON, with 400 in the contract's shape, forwarding nothing", async () => {
    const post = (body: string) =>
      rawRequest(server.url, {
        method: "POST",
        path: "/v1/embeddings",
        headers: { "x-api-key": secret, "content-type": "application/json" },
        body,
      });
    const noModel = await post('{"input":"x"}');
    expect(noModel.status).toBe(400);
    expect(noModel.json().error).toMatchObject({ code: "validation_failed", param: "model" });
    const notJson = await post("input=x");
    expect(notJson.status).toBe(400);
    expect(notJson.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
  });

  it("lists the union of every upstream's models once each, from memory", async () => {
    const before = primaryA.requests.length + primaryB.requests.length + small.requests.length;
    const res = await rawRequest(server.url, { path: "/v1/models", headers: { "x-api-key": secret } });
    expect(res.status).toBe(200);
    const list = JSON.parse(res.text) as { object: string; data: { id: string; object: string }[] };
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(["vllm-primary", "vllm-small"]);
    expect(primaryA.requests.length + primaryB.requests.length + small.requests.length).toBe(before);
  });

  it("spreads concurrent requests by fewest in flight, not by turns", async () => {
    const holdA = primaryA.holdAll();
    let holdB = primaryB.holdAll();
    const [a0, b0] = [chats(primaryA), chats(primaryB)];
    const first = Array.from({ length: 4 }, () => chat("vllm-primary"));
    await waitFor(
      "four chats spread over both replicas",
      () => chats(primaryA) + chats(primaryB) === a0 + b0 + 4,
    );
    expect([chats(primaryA) - a0, chats(primaryB) - b0]).toEqual([2, 2]);

    // B's two finish, A's two stay open: the next four go three to B and one to A (turns would say 2 + 2).
    holdB.release();
    await waitFor("the replica to finish its calls", () => upstreams.upstreams[1]?.inFlight === 0);
    holdB = primaryB.holdAll();
    const second = Array.from({ length: 4 }, () => chat("vllm-primary"));
    await waitFor(
      "eight chats spread over both replicas",
      () => chats(primaryA) + chats(primaryB) === a0 + b0 + 8,
    );
    expect([chats(primaryA) - a0, chats(primaryB) - b0]).toEqual([3, 5]);

    holdA.release();
    holdB.release();
    for (const res of await Promise.all([...first, ...second])) expect(res.status).toBe(200);
  });

  it("streams through each upstream chunk by chunk", async () => {
    for (const model of ["vllm-primary", "vllm-primary", "vllm-small"]) {
      const res = await chat(model, { stream: true });
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toContain("text/event-stream");
      expect(res.text.trim().endsWith("data: [DONE]")).toBe(true);
    }
    // Two streams in a row with nothing in flight: one on each replica.
    for (const stub of [primaryA, primaryB, small]) {
      expect(stub.traffic().some((r) => JSON.parse(r.body).stream === true)).toBe(true);
    }
  });

  it("sends GET /v1/responses/:id to the replica that created the response, whichever it was", async () => {
    const create = () =>
      rawRequest(server.url, {
        method: "POST",
        path: "/v1/responses",
        headers: { "x-api-key": secret, "content-type": "application/json" },
        body: JSON.stringify({ model: "vllm-primary", input: "Hi" }),
      });
    // Two in a row with nothing in flight: one on each replica.
    const idOf = async () => (JSON.parse((await create()).text) as { id: string }).id;
    const ids = [await idOf(), await idOf()];
    for (const stub of [primaryA, primaryB])
      expect(stub.traffic().filter((r) => r.url === "/v1/responses")).toHaveLength(1);
    for (const id of ids) {
      const fetched = await rawRequest(server.url, {
        path: `/v1/responses/${id}`,
        headers: { "x-api-key": secret },
      });
      expect(fetched.status).toBe(200);
      expect(JSON.parse(fetched.text).id).toBe(id);
    }
    // Asked again, each goes straight to its holder: no look-up on the other replica.
    const lookups = () => primaryA.requests.length + primaryB.requests.length;
    const before = lookups();
    for (const id of ids)
      expect(
        (await rawRequest(server.url, { path: `/v1/responses/${id}`, headers: { "x-api-key": secret } }))
          .status,
      ).toBe(200);
    expect(lookups()).toBe(before + 2);
  });
});

describe("replicas failing over", () => {
  it("a replica killed mid-run costs no request that had not started, and returns once it is back", async () => {
    await primaryB.stop();
    const before = chats(primaryA);
    for (let i = 0; i < 4; i++) expect((await chat("vllm-primary")).status).toBe(200);
    expect(chats(primaryA)).toBe(before + 4);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain(`keyward_upstream_up{upstream="${primaryB.url}"} 0`);
    expect(metrics).toContain(`keyward_upstream_up{upstream="${primaryA.url}"} 1`);
    const failures = () => env.logs.lines.filter((l) => l.includes('"msg":"upstream call failed"'));
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toContain('"failure":"not_connected"');
    expect(failures()[0]).not.toContain('"stack"');

    // Its 10 s are up while it is still dead: the health probe finds out, no client request does.
    clock.advance(DOWN_FOR_MS);
    await upstreams.health.probeDue();
    for (let i = 0; i < 4; i++) expect((await chat("vllm-primary")).status).toBe(200);
    expect(chats(primaryA)).toBe(before + 8);
    expect(failures()).toHaveLength(1);
    expect(await fetch(`${server.url}/metrics`).then((r) => r.text())).toContain(
      `keyward_upstream_up{upstream="${primaryB.url}"} 0`,
    );

    await primaryB.start();
    const bBefore = chats(primaryB);
    expect((await chat("vllm-primary")).status).toBe(200);
    expect(chats(primaryB)).toBe(bBefore); // still out of rotation: not probed again yet
    clock.advance(DOWN_FOR_MS);
    await upstreams.health.probeDue();
    expect(primaryB.requests.at(-1)).toMatchObject({ method: "GET", url: "/v1/models" });
    expect(await fetch(`${server.url}/metrics`).then((r) => r.text())).toContain(
      `keyward_upstream_up{upstream="${primaryB.url}"} 1`,
    );
    for (let i = 0; i < 2; i++) expect((await chat("vllm-primary")).status).toBe(200);
    expect(chats(primaryB)).toBeGreaterThan(bBefore);
  });

  it("with every replica down answers 502 upstream_unavailable, the second time without trying", async () => {
    await Promise.all([primaryA.stop(), primaryB.stop()]);
    const failed = () => env.logs.lines.filter((l) => l.includes('"msg":"upstream call failed"')).length;
    const linesBefore = env.logs.lines.length;
    const failedBefore = failed();
    const first = await chat("vllm-primary");
    expect(first.status).toBe(502);
    expect(first.json().error).toMatchObject({ type: "api_error", code: "upstream_unavailable" });
    const triedSoFar = failed();
    const second = await chat("vllm-primary");
    expect(second.status).toBe(502);
    expect(failed()).toBe(triedSoFar);
    // Each failed call is logged once, where it failed; the 502s themselves only in their access lines.
    const lines = env.logs.lines.slice(linesBefore);
    expect(lines.filter((l) => l.includes('"msg":"upstream call failed"'))).toHaveLength(
      triedSoFar - failedBefore,
    );
    expect(triedSoFar - failedBefore).toBe(2); // the two replicas, once each
    expect(lines.filter((l) => l.includes('"msg":"request failed"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('"stack"'))).toEqual([]);
    expect((await chat("vllm-small")).status).toBe(200);

    await Promise.all([primaryA.start(), primaryB.start()]);
    clock.advance(DOWN_FOR_MS);
    await upstreams.health.probeDue();
    expect((await chat("vllm-primary")).status).toBe(200);
  });
});

describe("models learned after start", () => {
  it("routes a model an upstream starts serving once its list is read again", async () => {
    small.setModels(["vllm-small", "vllm-late"]);
    expect((await chat("vllm-late")).status).toBe(404);
    await upstreams.registry.refresh();
    const res = await chat("vllm-late");
    expect(res.status).toBe(200);
    expect(JSON.parse(small.traffic().at(-1)?.body ?? "{}").model).toBe("vllm-late");
    const list = await rawRequest(server.url, { path: "/v1/models", headers: { "x-api-key": secret } });
    expect((JSON.parse(list.text).data as { id: string }[]).map((m) => m.id)).toContain("vllm-late");
  });
});

describe("per-upstream concurrency", () => {
  it("waits a bounded time for a slot at max_concurrency, then answers 503 with Retry-After", async () => {
    const capped = await startUpstreamStub({ models: ["vllm-capped"] });
    const config = env.configWith({
      UPSTREAMS: JSON.stringify([{ url: capped.url, max_concurrency: 1 }]),
      UPSTREAM_QUEUE_TIMEOUT_MS: "50",
    });
    const set = createUpstreamSet(config, { clock, logger: env.logger });
    expect(set.upstreams[0]?.gate?.waitMs).toBe(50);
    await set.registry.refresh();
    const app = await listen((await env.makeApp({ config, clock, upstreams: set })).app);
    const send = () =>
      rawRequest(app.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "x-api-key": secret, "content-type": "application/json" },
        body: JSON.stringify({ model: "vllm-capped", messages: [] }),
      });
    const hold = capped.holdAll();
    const holding = send();
    await waitFor("the request to reach the capped upstream", () => capped.traffic().length === 1);
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json().error).toMatchObject({ type: "api_error", code: "upstream_busy" });
    const metrics = await fetch(`${app.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain(`keyward_upstream_in_flight{upstream="${capped.url}"} 1`);
    expect(metrics).toContain('keyward_model_in_flight{model="vllm-capped"} 1');
    hold.release();
    expect((await holding).status).toBe(200);
    expect(capped.traffic()).toHaveLength(1);
    await app.close();
    await set.close();
    await capped.close();
  });
});

describe("UPSTREAMS_FILE read again", () => {
  it("routes a server added to the file once it is reloaded, and keeps serving when the new file is bad", async () => {
    const added = await startUpstreamStub({ models: ["vllm-added"] });
    const path = join(mkdtempSync(join(tmpdir(), "keyward-routing-")), "upstreams.yaml");
    writeFileSync(path, `- url: ${small.url}\n  models: [vllm-small]\n`);
    const config = env.configWith({ UPSTREAMS: "", UPSTREAMS_FILE: path });
    const set = createUpstreamSet(config, { clock, logger: env.logger });
    const app = await listen((await env.makeApp({ config, clock, upstreams: set })).app);
    const send = (model: string) =>
      rawRequest(app.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "x-api-key": secret, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }] }),
      });
    expect((await send("vllm-added")).status).toBe(404);
    const reload = createUpstreamsReloader(config.upstreamsFile ?? "", set, env.logger);
    writeFileSync(path, `- url: ${small.url}\n  models: [vllm-small]\n- url: ${added.url}\n`);
    expect(await reload()).toEqual({ ok: true, upstreams: 2 });
    expect((await send("vllm-added")).status).toBe(200);
    expect(added.traffic().at(-1)?.url).toBe("/v1/chat/completions");

    writeFileSync(path, `- url: ${small.url}\n  max_concurrency: none\n`);
    expect((await reload()).ok).toBe(false);
    expect(env.logs.lines.filter((l) => l.includes("UPSTREAMS_FILE not reloaded")).at(-1)).toContain(
      `entry 1 (${small.url}): max_concurrency:`,
    );
    expect((await send("vllm-added")).status).toBe(200);
    await app.close();
    await set.close();
    await added.close();
  });
});

describe("metrics per upstream and model", () => {
  it("count requests and outcomes and time the first byte, labelled by upstream and model", async () => {
    const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(text).toMatch(
      new RegExp(
        `keyward_upstream_requests_total\\{upstream="${small.url}",model="vllm-small",outcome="ok"\\} [1-9]`,
      ),
    );
    expect(text).toMatch(
      // The request that found every replica down is counted once, on the replica tried last.
      new RegExp(
        `keyward_upstream_requests_total\\{upstream="(${primaryA.url}|${primaryB.url})",model="vllm-primary",outcome="upstream_unavailable"\\} 1`,
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `keyward_upstream_first_byte_seconds_count\\{upstream="${primaryB.url}",model="vllm-primary"\\} [1-9]`,
      ),
    );
    // Every failed call, retried elsewhere or not: B refused once while killed, then each replica once.
    expect(text).toContain(
      `keyward_upstream_failed_calls_total{upstream="${primaryB.url}",failure="not_connected"} 2`,
    );
    expect(text).toContain(
      `keyward_upstream_failed_calls_total{upstream="${primaryA.url}",failure="not_connected"} 1`,
    );
    expect(text).not.toContain("gpt-4o");
  });
});
