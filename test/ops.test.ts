import type { Request, Response } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env.close();
});

/** Asks /readyz until it answers `status` (the app notices a lost or returned connection on its own). */
async function readinessUntil(app: TestApp, status: number): Promise<request.Response> {
  return waitFor(`/readyz to answer ${status}`, async () => {
    const res = await request(app.app).get("/readyz");
    return res.status === status ? res : undefined;
  });
}

describe("health and metrics paths", () => {
  it("answer another method with 405 and Allow, like every other path, not with 404", async () => {
    const web = await env.makeApp();
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const res = await request(web.app).post(path).send({});
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("GET, HEAD");
      expect(res.body.error).toMatchObject({ code: "method_not_allowed", type: "invalid_request_error" });
    }
    await request(web.app).head("/healthz").expect(200);
  });
});

describe("/readyz", () => {
  it("is 503 for an app whose Redis cannot be reached, 200 for its PostgreSQL-only sibling", async () => {
    const noRedis = await env.makeApp({ config: env.configWith({ REDIS_URL: "redis://127.0.0.1:1" }) });
    const res = await request(noRedis.app).get("/readyz").expect(503);
    expect(res.body).toEqual({ status: "unavailable", postgres: "up", redis: "down" });
    await request(noRedis.app).get("/healthz").expect(200);
    await noRedis.close();
  });

  it("is 503 for an app whose PostgreSQL cannot be reached", async () => {
    const badDb = new URL(env.env.DATABASE_URL as string);
    badDb.port = "1";
    const noDb = await env.makeApp({ config: env.configWith({ DATABASE_URL: badDb.toString() }) });
    const res = await request(noDb.app).get("/readyz").expect(503);
    expect(res.body).toEqual({ status: "unavailable", postgres: "down", redis: "up" });
    await noDb.close();
  });

  it("goes 503 while Redis or PostgreSQL is away and back to 200 when they return", async () => {
    const pgUrl = new URL(env.env.DATABASE_URL as string);
    const redisUrl = new URL(env.env.REDIS_URL as string);
    const pg = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    pgUrl.host = `127.0.0.1:${pg.port}`;
    redisUrl.host = `127.0.0.1:${redis.port}`;
    const app = await env.makeApp({
      config: env.configWith({ DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl.toString() }),
    });
    try {
      expect((await readinessUntil(app, 200)).status).toBe(200);

      redis.cut();
      const redisDown = await readinessUntil(app, 503);
      expect(redisDown.body).toMatchObject({ status: "unavailable", redis: "down", postgres: "up" });
      redis.restore();
      expect((await readinessUntil(app, 200)).body).toEqual({ status: "ready", postgres: "up", redis: "up" });

      pg.cut();
      const pgDown = await readinessUntil(app, 503);
      expect(pgDown.body).toMatchObject({ status: "unavailable", postgres: "down", redis: "up" });
      pg.restore();
      expect((await readinessUntil(app, 200)).status).toBe(200);
    } finally {
      await app.close();
      await Promise.all([pg.close(), redis.close()]);
    }
  });
});

describe("behind a router (TRUST_PROXY)", () => {
  /**
   * The app as built, with a probe route placed right after the request context (the first layer),
   * before every other route, so it sees exactly what the app's routes see.
   */
  async function appWithProbe(trustProxy: string): Promise<TestApp> {
    const web = await env.makeApp({ config: env.configWith({ TRUST_PROXY: trustProxy }) });
    web.express.get("/__probe", (req: Request, res: Response) => {
      res.json({ ip: req.ip, clientIp: req.clientIp, secure: req.secure, protocol: req.protocol });
    });
    const stack = web.express.router.stack;
    const probe = stack.pop();
    if (probe) stack.splice(1, 0, probe);
    return web;
  }

  it("with TRUST_PROXY=1 takes the client IP from X-Forwarded-For and https from X-Forwarded-Proto", async () => {
    const web = await appWithProbe("1");
    const res = await request(web.app)
      .get("/__probe")
      .set("X-Forwarded-For", "198.51.100.9, 203.0.113.7")
      .set("X-Forwarded-Proto", "https")
      .expect(200);
    // One hop trusted: the address the router appended, not what the client claimed before it.
    expect(res.body).toEqual({ ip: "203.0.113.7", clientIp: "203.0.113.7", secure: true, protocol: "https" });
  });

  it("with the default TRUST_PROXY=0 ignores forwarding headers a client could forge", async () => {
    const web = await appWithProbe("0");
    const res = await request(web.app)
      .get("/__probe")
      .set("X-Forwarded-For", "203.0.113.7")
      .set("X-Forwarded-Proto", "https")
      .expect(200);
    expect(res.body.ip).not.toBe("203.0.113.7");
    expect(res.body.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(res.body.clientIp).toBe(res.body.ip);
    expect(res.body.secure).toBe(false);
  });

  it("logs each request with its id and the client IP that TRUST_PROXY decides", async () => {
    const web = await env.makeApp({ config: env.configWith({ TRUST_PROXY: "1" }) });
    await request(web.app)
      .get("/healthz")
      .set("X-Forwarded-For", "203.0.113.8")
      .set("x-request-id", "ops-trust-proxy-log")
      .expect(200);
    const line = env.logs.lines
      .map((l) => JSON.parse(l) as { req?: { id?: string; ip?: string }; res?: { statusCode?: number } })
      .find((l) => l.req?.id === "ops-trust-proxy-log");
    expect(line?.req).toMatchObject({ id: "ops-trust-proxy-log", ip: "203.0.113.8", path: "/healthz" });
    expect(line?.res?.statusCode).toBe(200);
  });
});
