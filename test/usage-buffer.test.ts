import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { createKeyUseBatcher, pendingUsageKey, recordKeyUse } from "../src/usage/buffer.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let redis: ReturnType<typeof connectRedis>;

beforeAll(async () => {
  env = await createTestEnv();
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await redis.quit();
  await env.close();
});

describe("the last-used buffer", () => {
  it("counts every use per UTC day and keeps the latest time when uses arrive out of order", async () => {
    const key = pendingUsageKey(env.prefix);
    await recordKeyUse(redis, env.prefix, "key_a", new Date("2026-03-10T23:59:59.000Z"));
    await recordKeyUse(redis, env.prefix, "key_a", new Date("2026-03-11T00:00:01.000Z"));
    await recordKeyUse(redis, env.prefix, "key_a", new Date("2026-03-10T12:00:00.000Z"));
    expect(await redis.hgetall(key)).toEqual({
      "t:key_a": String(Date.parse("2026-03-11T00:00:01.000Z")),
      "c:key_a:2026-03-10": "2",
      "c:key_a:2026-03-11": "1",
    });
  });

  it("sums the uses of one event-loop turn per key and day into one command each, exactly", async () => {
    const key = pendingUsageKey(env.prefix);
    await redis.del(key);
    const results: Array<[unknown, string]> = [];
    let sent = 0;
    const counting = redis.duplicate();
    counting.on("error", () => {});
    await counting.ping();
    const note = createKeyUseBatcher(counting, env.prefix, (err, keyId) => {
      sent++;
      results.push([err, keyId]);
    });
    const day1 = Date.parse("2026-03-10T10:00:00.000Z");
    // Out of order, two keys, across midnight: one turn.
    note("key_b", new Date(day1 + 5));
    note("key_b", new Date(day1 + 9));
    note("key_b", new Date(day1 + 1));
    note("key_c", new Date(day1));
    note("key_b", new Date(Date.parse("2026-03-11T00:00:02.000Z")));
    for (let i = 0; i < 100 && sent < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(results.map(([err]) => err)).toEqual([null, null, null]);
    expect(results.map(([, keyId]) => keyId).sort()).toEqual(["key_b", "key_b", "key_c"]);
    expect(await redis.hgetall(key)).toEqual({
      "t:key_b": String(Date.parse("2026-03-11T00:00:02.000Z")),
      "c:key_b:2026-03-10": "3",
      "c:key_b:2026-03-11": "1",
      "t:key_c": String(day1),
      "c:key_c:2026-03-10": "1",
    });
    // The next turn is a new batch that adds to the same counters.
    note("key_c", new Date(day1 + 100));
    for (let i = 0; i < 100 && sent < 4; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await redis.hget(key, "c:key_c:2026-03-10")).toBe("2");
    expect(await redis.hget(key, "t:key_c")).toBe(String(day1 + 100));
    counting.disconnect();
  });

  it("reports a failed command to its caller and drops uses noted while Redis is away", async () => {
    const errors: unknown[] = [];
    const broken = redis.duplicate();
    broken.on("error", () => {});
    await broken.ping();
    const note = createKeyUseBatcher(broken, `${env.prefix}:wrongtype`, (err) => errors.push(err));
    await broken.set(pendingUsageKey(`${env.prefix}:wrongtype`), "not a hash");
    note("key_d", new Date());
    for (let i = 0; i < 100 && errors.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(String(errors[0])).toMatch(/WRONGTYPE/);
    const ended = new Promise((resolve) => broken.once("end", resolve));
    await broken.quit();
    await ended;
    expect(broken.status).toBe("end");
    note("key_d", new Date());
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
  });
});
