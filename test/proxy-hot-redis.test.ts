import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyRateLimiter } from "../src/proxy/rate-limit.js";
import { connectRedis } from "../src/redis/client.js";
import { defineUsageCommands, pendingUsageKey, recordKeyUse } from "../src/usage/buffer.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// The gateway's Redis connection auto-pipelines every command, scripts included. ioredis copies a
// client's script commands into a pipeline when it creates it, so a script defined while a pipeline
// is pending is missing from it: the call is refused and the batch's callbacks throw (uncaught). These
// tests start a pipeline first, then use the scripts in the same turn, as concurrent requests do.

let env: TestEnv;
let hot: Redis;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  env = await createTestEnv();
  hot = connectRedis(env.config).duplicate({ enableAutoPipelining: true });
  await hot.ping();
  process.on("uncaughtException", onUncaught);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  hot.disconnect();
  await env.close();
});

describe("script commands on an auto-pipelined connection", () => {
  it("rate limits created later (a new per-key limit) work inside a pending pipeline", async () => {
    const limiter = createKeyRateLimiter(hot, env.prefix);
    const pending = hot.get(`${env.prefix}:nothing`);
    // Limits 7 and 9 have no limiter yet: each is created now, while `pending`'s pipeline waits.
    const [a, b, c] = await Promise.all([
      limiter.consume("key_a", 7),
      limiter.consume("key_b", 9),
      limiter.consume("key_a", 7),
      pending,
    ]);
    expect(a).toMatchObject({ allowed: true, limit: 7, remaining: 6 });
    expect(b).toMatchObject({ allowed: true, limit: 9, remaining: 8 });
    expect(c).toMatchObject({ allowed: true, limit: 7, remaining: 5 });
    // Counted in Redis (shared by every process), not by the in-memory fallback limiter.
    expect(await hot.get(`${env.prefix}:ratelimit:key_a`)).toBe("2");
    expect(await hot.get(`${env.prefix}:ratelimit:key_b`)).toBe("1");
    await hot.ping();
    await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught).toEqual([]);
  });

  it("records key use with the script defined before the first pipeline", async () => {
    const fresh = hot.duplicate({ enableAutoPipelining: true });
    defineUsageCommands(fresh);
    await fresh.ping();
    const at = new Date("2026-03-10T10:00:00Z");
    const pending = fresh.get(`${env.prefix}:nothing`);
    await Promise.all([
      recordKeyUse(fresh, env.prefix, "key_u", at),
      recordKeyUse(fresh, env.prefix, "key_u", at),
      pending,
    ]);
    expect(await fresh.hgetall(pendingUsageKey(env.prefix))).toMatchObject({
      "t:key_u": String(at.getTime()),
      "c:key_u:2026-03-10": "2",
    });
    await fresh.ping();
    await new Promise((resolve) => setImmediate(resolve));
    expect(uncaught).toEqual([]);
    fresh.disconnect();
  });

  it("refuses a key past its limit from memory until its window ends, still shared through Redis", async () => {
    const limiter = createKeyRateLimiter(hot, env.prefix);
    const counter = `${env.prefix}:ratelimit:key_blocked`;
    expect((await limiter.consume("key_blocked", 2)).allowed).toBe(true);
    expect((await limiter.consume("key_blocked", 2)).allowed).toBe(true);
    const refused = await limiter.consume("key_blocked", 2);
    expect(refused).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
    expect(await hot.get(counter)).toBe("3");
    for (let i = 0; i < 5; i++) {
      const again = await limiter.consume("key_blocked", 2);
      expect(again).toMatchObject({ allowed: false, remaining: 0 });
      expect(again.msBeforeReset).toBeGreaterThan(0);
      expect(again.msBeforeReset).toBeLessThanOrEqual(60_000);
    }
    // Not one more command reached Redis for this key...
    expect(await hot.get(counter)).toBe("3");
    // ...and another process, which has not seen the 429 yet, is refused by the shared count.
    const otherProcess = createKeyRateLimiter(hot, env.prefix);
    expect((await otherProcess.consume("key_blocked", 2)).allowed).toBe(false);
    expect(await hot.get(counter)).toBe("4");
  });
});
