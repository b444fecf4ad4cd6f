import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyChangedAtKey, markKeysChanged, parseKeyChangeMarker } from "../src/keys/key-state.js";
import { KEY_CHANGE_SETTLE_MS, keyRecordIsCurrent } from "../src/keys/publish-key-change.js";
import { connectRedis } from "../src/redis/client.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// The change markers on their own: what a marker says, and when a cached record may ignore it.
// How they behave end to end, under faults, is in key-change-faults.test.ts.

let env: TestEnv;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv();
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await redis.quit();
  await env.close();
});

describe("key change markers", () => {
  it("keep the latest change, whatever order the writes land in, for every key of one call", async () => {
    const marker = async (id: string) => redis.get(keyChangedAtKey(env.prefix, id));
    await markKeysChanged(redis, env.prefix, ["key_a", "key_b"], 2_000, 1_500);
    expect([await marker("key_a"), await marker("key_b")]).toEqual(["2000:1500", "2000:1500"]);
    // A stalled write of an older change, landing late, does not hide the newer one.
    await markKeysChanged(redis, env.prefix, ["key_a"], 1_000);
    expect(await marker("key_a")).toBe("2000:1500");
    await markKeysChanged(redis, env.prefix, ["key_a"], 3_000);
    expect(await marker("key_a")).toBe("3000");
  });

  it("are read as a change time and an optional stop time; an unreadable one as a change just now", () => {
    expect(parseKeyChangeMarker("2000")).toEqual({ changedAtMs: 2_000, deadAtMs: null });
    expect(parseKeyChangeMarker("2000:1500")).toEqual({ changedAtMs: 2_000, deadAtMs: 1_500 });
    expect(parseKeyChangeMarker("garbage")).toEqual({
      changedAtMs: Number.POSITIVE_INFINITY,
      deadAtMs: null,
    });
  });

  it("let a record stand only if it was read once a change could no longer commit", () => {
    expect(keyRecordIsCurrent(5_000, null)).toBe(true);
    expect(keyRecordIsCurrent(5_000, 5_000)).toBe(false);
    expect(keyRecordIsCurrent(5_000 + KEY_CHANGE_SETTLE_MS - 1, 5_000)).toBe(false);
    expect(keyRecordIsCurrent(5_000 + KEY_CHANGE_SETTLE_MS, 5_000)).toBe(true);
    expect(keyRecordIsCurrent(Date.now(), Number.POSITIVE_INFINITY)).toBe(false);
  });
});
