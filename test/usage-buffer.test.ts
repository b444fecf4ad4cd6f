import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordKeyUse } from "../src/gateway/hot-path-script.js";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey } from "../src/usage/buffer.js";
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
});
