import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/api/app.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

describe("health and errors", () => {
  it("answers /healthz and /readyz while PostgreSQL and Redis are up", async () => {
    await request(web.app).get("/healthz").expect(200);
    const ready = await request(web.app).get("/readyz").expect(200);
    expect(ready.body).toMatchObject({ postgres: "up", redis: "up" });
  });

  it("answers /readyz 503 once the process has begun to stop, so a router sends it no more", async () => {
    const stopping = createApp({ ...web.deps, isStopping: () => true }).handle;
    const res = await request(stopping).get("/readyz").expect(503);
    expect(res.body).toEqual({ status: "stopping" });
    await request(stopping).get("/healthz").expect(200);
  });

  it("logs a /readyz 503 as a warning, not an error: it answers by design at every probe of an outage", async () => {
    const stopping = createApp({ ...web.deps, isStopping: () => true }).handle;
    const before = env.logs.lines.length;
    await request(stopping).get("/readyz").set("x-request-id", "readyz-while-stopping").expect(503);
    const line = await vi.waitFor(() => {
      const found = env.logs.lines
        .slice(before)
        .map((l) => JSON.parse(l) as { reqId?: string; level: number; msg: string })
        .find((l) => l.reqId === "readyz-while-stopping");
      if (!found) throw new Error("no access line yet");
      return found;
    });
    expect(line).toMatchObject({ level: 40, msg: "request answered with an outage status" });
  });

  it("answers an unknown path with 404 in the contract's error shape and a request id", async () => {
    const res = await request(web.app).get("/nope").expect(404);
    expect(res.body).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", code: "not_found" },
    });
    expect(res.headers["x-request-id"]).toMatch(/\S+/);
  });

  it("keeps a sane client request id and replaces an unsafe one", async () => {
    const kept = await request(web.app).get("/healthz").set("x-request-id", "abc-123");
    expect(kept.headers["x-request-id"]).toBe("abc-123");
    const replaced = await request(web.app).get("/healthz").set("x-request-id", "bad id\twith spaces");
    expect(replaced.headers["x-request-id"]).not.toContain(" ");
  });

  it("sends helmet's security headers", async () => {
    const res = await request(web.app).get("/healthz");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });
});
