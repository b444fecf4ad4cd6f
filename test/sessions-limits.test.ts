import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbuseLimits, sourceOf } from "../src/accounts/abuse-limits.js";
import { connectRedis } from "../src/redis/client.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// The abuse limits on their own, on the real Redis: cheaper than driving 100 argon2 logins over HTTP.

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env.close();
});

describe("login and email-request limits", () => {
  it("blocks an IP after 100 failures in 15 minutes, across different emails", async () => {
    const redis = connectRedis(env.config);
    try {
      const limits = createAbuseLimits(redis, env.prefix);
      for (let i = 0; i < 100; i++) {
        expect(await limits.beginLoginAttempt(`victim-${i}@example.com`, "10.0.0.1")).toBeNull();
      }
      const wait = await limits.beginLoginAttempt("fresh@example.com", "10.0.0.1");
      expect(wait).toBeGreaterThan(800);
      expect(wait).toBeLessThanOrEqual(900);
      expect(await limits.beginLoginAttempt("fresh@example.com", "10.0.0.2")).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it("blocks an email from one IP after 10 failures, not the same email from another IP", async () => {
    const redis = connectRedis(env.config);
    try {
      const limits = createAbuseLimits(redis, env.prefix);
      for (let i = 0; i < 10; i++) {
        expect(await limits.beginLoginAttempt("owner@example.com", "10.3.0.1")).toBeNull();
      }
      // Hammering on after the 429s: none of these may count against the email from elsewhere.
      for (let i = 0; i < 100; i++) {
        const wait = await limits.beginLoginAttempt("owner@example.com", "10.3.0.1");
        expect(wait).toBeGreaterThan(800);
        expect(wait).toBeLessThanOrEqual(900);
      }
      expect(await limits.beginLoginAttempt("owner@example.com", "10.3.0.2")).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it("blocks an email after 50 failures in 15 minutes spread over many IPs", async () => {
    const redis = connectRedis(env.config);
    try {
      const limits = createAbuseLimits(redis, env.prefix);
      for (let i = 0; i < 50; i++) {
        expect(await limits.beginLoginAttempt("target@example.com", `10.4.${i % 5}.${i}`)).toBeNull();
      }
      expect(await limits.beginLoginAttempt("target@example.com", "10.4.200.1")).toBeGreaterThan(800);
      expect(await limits.beginLoginAttempt("someone-else@example.com", "10.4.200.1")).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it("counts IPv6 clients per /64, and IPv4 written as IPv6 as the IPv4 address", async () => {
    expect(sourceOf("2001:db8:a:b:1:2:3:4")).toBe("2001:db8:a:b::/64");
    expect(sourceOf("2001:DB8:A:B::99")).toBe("2001:db8:a:b::/64");
    expect(sourceOf("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(sourceOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(sourceOf("192.0.2.7")).toBe("192.0.2.7");
    const redis = connectRedis(env.config);
    try {
      const limits = createAbuseLimits(redis, env.prefix);
      // Ten addresses of one /64 are one client: the eleventh attempt is refused.
      for (let i = 0; i < 10; i++) {
        expect(await limits.beginLoginAttempt("v6@example.com", `2001:db8:5:6::${i + 1}`)).toBeNull();
      }
      expect(await limits.beginLoginAttempt("v6@example.com", "2001:db8:5:6::ff")).toBeGreaterThan(0);
      expect(await limits.beginLoginAttempt("v6@example.com", "2001:db8:5:7::1")).toBeNull();
    } finally {
      await redis.quit();
    }
  });

  it("clears an email's failures from an IP after a successful login there, and keys emails case-insensitively", async () => {
    const redis = connectRedis(env.config);
    try {
      const limits = createAbuseLimits(redis, env.prefix);
      for (let i = 0; i < 9; i++) {
        expect(await limits.beginLoginAttempt("Mixed@Example.com", "10.1.0.1")).toBeNull();
      }
      // The 10th attempt is allowed and succeeds: the count from that IP starts again from zero.
      expect(await limits.beginLoginAttempt("mixed@example.com", "10.1.0.1")).toBeNull();
      await limits.loginSucceeded("MIXED@example.com", "10.1.0.1");
      for (let i = 0; i < 10; i++) {
        expect(await limits.beginLoginAttempt("mixed@EXAMPLE.com", "10.1.0.1")).toBeNull();
      }
      expect(await limits.beginLoginAttempt("MIXED@example.com", "10.1.0.1")).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  });

  it("keeps limiting, per process, when Redis is unreachable", async () => {
    const dead = connectRedis({ redisUrl: "redis://127.0.0.1:1", redisTlsRejectUnauthorized: false });
    try {
      const limits = createAbuseLimits(dead, env.prefix);
      for (let i = 0; i < 20; i++) expect(await limits.consumeSignup("10.2.0.1")).toBeNull();
      expect(await limits.consumeSignup("10.2.0.1")).toBeGreaterThan(0);
    } finally {
      dead.disconnect();
    }
  });
});
