import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbuseLimits } from "../src/accounts/abuse-limits.js";
import {
  queueSecurityEmail,
  requestPasswordReset,
  requestVerificationEmail,
} from "../src/email/email-requests.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

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
      for (const path of ["/admin/accounts/verification-email", "/admin/accounts/password-reset"]) {
        for (const email of [known.email, `nobody-${path.length}@example.com`]) {
          const res = await request(cut.app).post(path).send({ email });
          expect({ status: res.status, body: res.body }).toEqual({ status: 202, body: {} });
        }
      }
      // What ended each request's wait, asked of the same domain functions on the cut app's
      // connections: the bound (EMAIL_QUEUE_WAIT_MS) for a known address and an unknown one alike, so
      // neither answers sooner and the time says nothing about the address.
      const emailDeps = {
        db: cut.deps.database.db,
        emailQueue: cut.deps.emailQueue,
        limits: createAbuseLimits(cut.deps.redis, cut.deps.config.redisPrefix),
        logger: env.logger,
      };
      for (const request of [requestVerificationEmail, requestPasswordReset]) {
        for (const email of [known.email, "nobody-else@example.com"]) {
          expect(await request(emailDeps, { email, ip: "203.0.113.50" })).toEqual({
            ok: true,
            waitEnded: "timed_out",
          });
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
      const jobs = await waitFor("the job queued once Redis is back", async () => {
        const queued = await queuedFor();
        return queued.length > 0 ? queued : undefined;
      });
      expect(jobs.map((j) => j.name)).toEqual(["verification-email"]);
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
  it("bounds a security email's wait alike, answering without it, and queues it once Redis is back", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const cut = await env.makeApp({
      config: env.configWith({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
    });
    const direct = await env.makeApp();
    const accountId = "acc_security_notice_while_redis_away";
    try {
      await cut.deps.emailQueue.waitUntilReady();
      proxy.cut();
      const mail = { emailQueue: cut.deps.emailQueue, logger: env.logger };
      expect(await queueSecurityEmail(mail, "totp-enabled-email", { accountId })).toBe("timed_out");
      proxy.restore();
      const jobs = await waitFor("the notice queued once Redis is back", async () => {
        const all = await direct.deps.emailQueue.getJobs(["waiting", "delayed", "active", "completed"]);
        const mine = all.filter((j) => (j.data as { accountId?: string }).accountId === accountId);
        return mine.length > 0 ? mine : undefined;
      });
      expect(jobs.map((j) => j.name)).toEqual(["totp-enabled-email"]);
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});
