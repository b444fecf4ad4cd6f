import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbuseLimits } from "../src/accounts/abuse-limits.js";
import { connectRedis } from "../src/redis/client.js";
import { createAccount, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// The login limits must hold for guesses sent all at once, not only one after another: a check that
// reads the failure count and counts the failure only after the (slow) password check lets a burst
// of parallel guesses all pass the check before any of them is counted.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1" });
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

const logIn = (email: string, password: string, ip: string) =>
  request(web.app).post("/admin/sessions").set("X-Forwarded-For", ip).send({ email, password });

describe("login limits under concurrency", () => {
  it("lets at most 10 of 30 simultaneous wrong guesses for one email from one IP be checked; the rest get 429", async () => {
    const { email } = await createAccount(env);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => logIn(email, `wrong guess ${i}`, "203.0.113.1")),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // Still blocked from there afterwards, even with the right password; the owner elsewhere is not.
    await logIn(email, FIXTURE_PASSWORD, "203.0.113.1").expect(429);
    await logIn(email, FIXTURE_PASSWORD, "203.0.113.200").expect(201);
  });

  it("lets at most 50 of 80 simultaneous wrong guesses for one email from many IPs be checked", async () => {
    const { email } = await createAccount(env);
    const answers = await Promise.all(
      Array.from({ length: 80 }, (_, i) => logIn(email, `spread guess ${i}`, `198.18.${i % 8}.${i + 1}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(50);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(30);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    await logIn(email, FIXTURE_PASSWORD, "198.18.100.1").expect(429);
  });

  it("still lets a successful login through and forgets that IP's failures for the email after it", async () => {
    const { email } = await createAccount(env);
    for (let i = 0; i < 9; i++) await logIn(email, `wrong ${i}`, "198.51.100.7").expect(401);
    await logIn(email, FIXTURE_PASSWORD, "198.51.100.7").expect(201);
    // From the same IP: ten more failures are checked (the count started again), the eleventh is not.
    for (let i = 0; i < 10; i++) await logIn(email, `wrong again ${i}`, "198.51.100.7").expect(401);
    await logIn(email, FIXTURE_PASSWORD, "198.51.100.7").expect(429);
  });

  it("does not count successful logins against an IP shared by many users", async () => {
    const ip = "192.0.2.50";
    for (let i = 0; i < 3; i++) {
      const { email } = await createAccount(env);
      await logIn(email, FIXTURE_PASSWORD, ip).expect(201);
    }
    const redisKeys = await web.deps.redis.keys(`${env.prefix}:rl:login-ip*${ip}`);
    const counts = await Promise.all(redisKeys.map((k) => web.deps.redis.get(k)));
    expect(counts.every((c) => c === null || Number(c) <= 0)).toBe(true);
  });

  it("counts attempts per process when Redis is unreachable, and a success still resolves", async () => {
    const dead = connectRedis({ redisUrl: "redis://127.0.0.1:1", redisTlsRejectUnauthorized: false });
    try {
      const limits = createAbuseLimits(dead, env.prefix);
      for (let i = 0; i < 10; i++)
        expect(await limits.beginLoginAttempt("x@example.com", "10.9.0.1")).toBeNull();
      expect(await limits.beginLoginAttempt("x@example.com", "10.9.0.1")).toBeGreaterThan(0);
      expect(await limits.beginLoginAttempt("x@example.com", "10.9.0.2")).toBeNull();
      await limits.loginSucceeded("y@example.com", "10.9.0.1");
    } finally {
      dead.disconnect();
    }
  });
});
