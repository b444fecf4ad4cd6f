import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "../src/api/error-handler.js";
import { requestContext } from "../src/api/request-context.js";
import { AppError } from "../src/errors/app-error.js";
import { createExchanges } from "../src/http/exchange.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

let env: TestEnv;
let web: TestApp;
let upstream: UpstreamStub;
const METRICS_TOKEN = "metrics-token-0123456789abcdef";

beforeAll(async () => {
  upstream = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: upstream.url });
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
  await upstream.close();
});

/** The value of one sample line, e.g. sample(text, 'keyward_queue_jobs{queue="email",state="failed"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics on the app", () => {
  it("serves Prometheus text with process metrics and request latency by route pattern and status", async () => {
    await request(web.app).get("/healthz").expect(200);
    const res = await request(web.app).get("/metrics").expect(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.text).toContain("process_cpu_user_seconds_total");
    expect(res.text).toContain("nodejs_heap_size_used_bytes");
    expect(res.text).toContain("# TYPE keyward_http_request_duration_seconds histogram");
    const count = sample(
      res.text,
      'keyward_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}',
    );
    expect(count).toBeGreaterThanOrEqual(1);
  });

  it("labels an unknown path 'unmatched' and never copies the raw URL into a label", async () => {
    const secretLookingPath = "/nope/sk-srt-AAAAbbbbCCCCddddEEEEffffGGGGhhhh";
    await request(web.app).get(`${secretLookingPath}?token=abc123`).expect(404);
    const res = await request(web.app).get("/metrics").expect(200);
    expect(res.text).not.toContain("sk-srt-");
    expect(res.text).not.toContain("abc123");
    expect(
      sample(
        res.text,
        'keyward_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it("keeps one registry per app: another instance does not see this one's requests", async () => {
    const other = await env.makeApp();
    await request(web.app).get("/readyz").expect(200);
    const mine = await request(web.app).get("/metrics");
    const theirs = await request(other.app).get("/metrics");
    const series = 'keyward_http_request_duration_seconds_count{method="GET",route="/readyz",status="200"}';
    expect(sample(mine.text, series)).toBeGreaterThanOrEqual(1);
    expect(sample(theirs.text, series)).toBeUndefined();
  });

  it("reports queue depths by queue and state, failed jobs included", async () => {
    const failing = await env.makeWorker({
      email: async () => {
        throw new Error("mail server on fire");
      },
    });
    await web.deps.emailQueue.add("verification-email", { accountId: "acc_doomed" }, { attempts: 1 });
    for (let i = 0; i < 100; i++) {
      const counts = await web.deps.emailQueue.getJobCounts("failed");
      if (counts.failed === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await failing.close();
    await web.deps.emailQueue.add("verification-email", { accountId: "acc_waiting" });
    await web.deps.emailQueue.add("verification-email", { accountId: "acc_later" }, { delay: 3_600_000 });

    const res = await request(web.app).get("/metrics").expect(200);
    expect(sample(res.text, 'keyward_queue_jobs{queue="email",state="failed"}')).toBe(1);
    expect(sample(res.text, 'keyward_queue_jobs{queue="email",state="waiting"}')).toBe(1);
    expect(sample(res.text, 'keyward_queue_jobs{queue="email",state="delayed"}')).toBe(1);
    expect(sample(res.text, 'keyward_queue_jobs{queue="email",state="active"}')).toBe(0);
    expect(sample(res.text, 'keyward_queue_jobs{queue="maintenance",state="waiting"}')).toBe(0);
  });

  it("still answers, without queue depths, while Redis is unreachable", async () => {
    const cut = await env.makeApp({ config: env.configWith({ REDIS_URL: "redis://127.0.0.1:1" }) });
    // A read of the same queue started first never settles while Redis is away: /metrics answering
    // before it did shows the scrape did not wait on Redis (its own bound left the depths out).
    let settled = false;
    const settle = () => {
      settled = true;
    };
    cut.deps.emailQueue.getJobCounts("waiting").then(settle, settle);
    const res = await request(cut.app).get("/metrics").expect(200);
    expect(settled).toBe(false);
    expect(res.text).toContain("process_cpu_user_seconds_total");
    expect(res.text).not.toMatch(/^keyward_queue_jobs\{/m);
    await cut.close();
  });
});

describe("/v1 through the gateway", () => {
  it("counts outcomes by code, times the upstream, and labels model ids as :id", async () => {
    const app = await env.makeApp();
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id, { permissions: ["models:list", "chat:read"] });
    const auth = { Authorization: `Bearer ${key.secret}` };
    await request(app.app).get("/v1/models").set(auth).expect(200);
    await request(app.app).get("/v1/models/vllm-primary").set(auth).expect(200);
    await request(app.app)
      .post("/v1/chat/completions")
      .set(auth)
      .send({ model: "vllm-primary", messages: [{ role: "user", content: "Hi" }] })
      .expect(200);
    await request(app.app).post("/v1/embeddings").set(auth).send({ input: "x" }).expect(403);
    await request(app.app).get("/v1/models").expect(401);
    await request(app.app).get(`/v1/secret-path-${key.last4}`).set(auth).expect(404);

    const text = (await request(app.app).get("/metrics").expect(200)).text;
    expect(sample(text, 'keyward_v1_requests_total{outcome="ok"}')).toBe(3);
    expect(sample(text, 'keyward_v1_requests_total{outcome="insufficient_permissions"}')).toBe(1);
    expect(sample(text, 'keyward_v1_requests_total{outcome="missing_api_key"}')).toBe(1);
    expect(sample(text, 'keyward_v1_requests_total{outcome="unknown_endpoint"}')).toBe(1);
    // The model list is answered from memory: only the chat completion went upstream.
    expect(sample(text, 'keyward_upstream_duration_seconds_count{route="/v1/chat/completions"}')).toBe(1);
    expect(text).not.toContain('keyward_upstream_duration_seconds_count{route="/v1/models"}');
    expect(
      sample(
        text,
        'keyward_http_request_duration_seconds_count{method="GET",route="/v1/models/:id",status="200"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'keyward_http_request_duration_seconds_count{method="GET",route="/v1/models",status="401"}',
      ),
    ).toBe(1);
    expect(text).not.toMatch(/route="[^"]*vllm-primary/);
    expect(text).not.toContain("secret-path");
    expect(text).not.toContain(key.secret);
  });
});

describe("METRICS_TOKEN", () => {
  let guarded: TestApp;
  beforeAll(async () => {
    guarded = await env.makeApp({ config: env.configWith({ METRICS_TOKEN }) });
  });

  it("refuses a scrape without the token, or with a wrong one, in the contract's error shape", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-0123456789", `Basic ${METRICS_TOKEN}`]) {
      const req = request(guarded.app).get("/metrics");
      if (authorization) req.set("Authorization", authorization);
      const res = await req.expect(401);
      expect(res.body).toEqual({
        error: { message: expect.any(String), type: "authentication_error", code: "invalid_credentials" },
      });
      expect(res.text).not.toContain("process_cpu");
    }
  });

  it("serves the metrics with Authorization: Bearer <token>", async () => {
    const res = await request(guarded.app)
      .get("/metrics")
      .set("Authorization", `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(res.text).toContain("keyward_http_request_duration_seconds");
  });

  it("leaves /metrics open when no token is configured", async () => {
    await request(web.app).get("/metrics").expect(200);
  });
});

describe("the request metrics of express's side", () => {
  // A small express app with the routing shapes the real one uses: routers mounted under a path, a
  // route whose handler throws (so express has already restored req.baseUrl when the response ends),
  // and a router mounted at a path with a parameter.
  function probeApp() {
    const metrics = createMetrics({ queues: {} });
    const logger = createLogger({ level: "silent" });
    const app = express();
    app.use(requestContext(createExchanges({ logger, metrics, clientIp: () => undefined }), logger));
    const admin = express.Router();
    admin.get("/keys/:id", (_req, res) => {
      res.json({ ok: true });
    });
    admin.post("/keys/:id/revoke", () => {
      throw new AppError("not_found", "No such key");
    });
    app.use("/admin", admin);
    const nested = express.Router({ mergeParams: true });
    nested.get("/items", (_req, res) => {
      res.json({});
    });
    app.use("/things/:thingId", nested);
    app.use((req) => {
      throw new AppError("not_found", `Unknown path ${req.path}`);
    });
    app.use(errorHandler(createLogger({ level: "silent" })));
    return { app, metrics };
  }

  it("labels by the full route pattern, also when the handler threw", async () => {
    const { app, metrics } = probeApp();
    await request(app).get("/admin/keys/key_01SECRETLOOKINGID").expect(200);
    await request(app).post("/admin/keys/key_01OTHER/revoke").expect(404);
    await request(app).get("/things/thing_42/items").expect(200);
    const text = await metrics.registry.metrics();
    expect(
      sample(
        text,
        'keyward_http_request_duration_seconds_count{method="GET",route="/admin/keys/:id",status="200"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'keyward_http_request_duration_seconds_count{method="POST",route="/admin/keys/:id/revoke",status="404"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'keyward_http_request_duration_seconds_count{method="GET",route="/things/:param/items",status="200"}',
      ),
    ).toBe(1);
    expect(text).not.toContain("key_01");
    expect(text).not.toContain("thing_42");
  });
});
