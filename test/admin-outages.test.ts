import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_QUEUE_WAIT_MS } from "../src/api/routes/accounts.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";

// The admin REST while PostgreSQL or Redis cannot be reached: a clear, retryable answer in the
// contract's shape, never a 500 and never a request left hanging.

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env.close();
});

function expectUnavailable(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.headers["retry-after"]).toBe("5");
  expect(res.body).toEqual({
    error: {
      message: "A service keyward depends on is unavailable; retry shortly",
      type: "api_error",
      code: "service_unavailable",
    },
  });
}

describe("PostgreSQL unreachable", () => {
  let noDb: TestApp;
  beforeAll(async () => {
    const badDb = new URL(env.env.DATABASE_URL as string);
    badDb.port = "1";
    noDb = await env.makeApp({ config: env.configWith({ DATABASE_URL: badDb.toString() }) });
  });

  it("answers login, signup and session-authenticated calls with 503 service_unavailable", async () => {
    const user = await createAccountWithSession(env);
    expectUnavailable(
      await request(noDb.app).post("/admin/sessions").send({ email: user.email, password: FIXTURE_PASSWORD }),
    );
    expectUnavailable(
      await request(noDb.app)
        .post("/admin/accounts")
        .send({ email: "while-down@example.com", password: "a perfectly fine passphrase" }),
    );
    expectUnavailable(await request(noDb.app).get("/admin/me").set("Authorization", `Bearer ${user.token}`));
    expectUnavailable(
      await request(noDb.app)
        .post("/admin/keys")
        .set("Authorization", `Bearer ${user.token}`)
        .send({ name: "while down" }),
    );
  });
});

describe("Redis unreachable", () => {
  it("answers email requests for known and unknown addresses after the same bounded wait", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const cut = await env.makeApp({
      config: env.configWith({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
    });
    try {
      await cut.deps.emailQueue.waitUntilReady();
      const known = await createAccount(env, { verified: false });
      proxy.cut();
      const timed = async (path: string, email: string) => {
        const started = performance.now();
        const res = await request(cut.app).post(path).send({ email });
        return { status: res.status, body: res.body, ms: performance.now() - started };
      };
      for (const path of ["/admin/accounts/verification-email", "/admin/accounts/password-reset"]) {
        const forKnown = await timed(path, known.email);
        const forUnknown = await timed(path, `nobody-${path.length}@example.com`);
        for (const answer of [forKnown, forUnknown]) {
          expect(answer).toMatchObject({ status: 202, body: {} });
          // Neither answers before the queue wait is over: the time says nothing about the address.
          expect(answer.ms).toBeGreaterThanOrEqual(EMAIL_QUEUE_WAIT_MS - 5);
        }
      }
    } finally {
      proxy.restore();
      await cut.close();
      await proxy.close();
    }
  });

  it("answers a signup at once and queues its verification email once Redis is back", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const cut = await env.makeApp({
      config: env.configWith({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
    });
    const direct = await env.makeApp();
    try {
      await cut.deps.emailQueue.waitUntilReady();
      proxy.cut();
      const res = await request(cut.app)
        .post("/admin/accounts")
        .send({ email: "redis-away@example.com", password: "a perfectly fine passphrase" });
      expect(res.status).toBe(201);
      const accountId = res.body.account.id as string;
      const queuedFor = async () => {
        const jobs = await direct.deps.emailQueue.getJobs(["waiting", "delayed", "active", "completed"]);
        return jobs.filter((j) => (j.data as { accountId?: string }).accountId === accountId);
      };
      expect(await queuedFor()).toHaveLength(0);
      expect(env.logs.text).toContain("the email will be queued when it is back");

      proxy.restore();
      for (let i = 0; i < 100 && (await queuedFor()).length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const jobs = await queuedFor();
      expect(jobs.map((j) => j.name)).toEqual(["verification-email"]);
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});
