import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHotPathBatch, type HotPathBatch } from "../src/gateway/hot-path-batch.js";
import { createMetering } from "../src/gateway/metering.js";
import { createTokenLimiter, tokenWindowKey } from "../src/gateway/token-limiter.js";
import { connectRedis } from "../src/redis/client.js";
import { tokenWindowStart } from "../src/token-limits/token-limit.js";
import { pendingUsageKey } from "../src/usage/buffer.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let redisA: Redis;
let redisB: Redis;
const NOW = Date.UTC(2026, 2, 10, 12, 0, 10);

beforeAll(async () => {
  env = await createTestEnv();
  redisA = connectRedis(env.config);
  redisB = connectRedis(env.config);
  await Promise.all([redisA.ping(), redisB.ping()]);
});
afterAll(async () => {
  await redisA?.quit();
  await redisB?.quit();
  await env?.close();
});

const windowCount = async (keyId: string) =>
  Number(await redisA.get(tokenWindowKey(env.prefix, keyId, tokenWindowStart(NOW))));
const batchOn = (redis: Redis) => createHotPathBatch(redis, env.prefix, () => {});
/** Fire-and-forget work goes out in the next turn; a PING on the same connection answers after it. */
async function settled(...redis: Redis[]): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await Promise.all(redis.map((r) => r.ping()));
}

describe("token limiter on Redis", () => {
  it("concurrent reservations from two processes overrun the limit by at most one reservation", async () => {
    // Two "processes": each its own connection, batch and limiter, sharing the window through Redis.
    const a = createTokenLimiter(batchOn(redisA), env.prefix);
    const b = createTokenLimiter(batchOn(redisB), env.prefix);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve("key_race", 100, 30, NOW)),
    );
    const admitted = results.filter((r) => r.decision.allowed);
    expect(admitted).toHaveLength(4); // 0, 30, 60, 90 are under 100; 120 is not
    // Refunds of the 36 refused reservations travel in the next turn.
    await settled(redisA, redisB);
    expect(await windowCount("key_race")).toBe(120);
    const refused = results.find((r) => !r.decision.allowed);
    expect(refused?.decision).toMatchObject({ remaining: 0, msBeforeReset: 50_000, limit: 100 });
  });

  it("settles an admitted reservation to the real count", async () => {
    const limiter = createTokenLimiter(batchOn(redisA), env.prefix);
    const r = await limiter.reserve("key_settle", 1_000, 300, NOW);
    expect(r.decision).toMatchObject({ allowed: true, remaining: 700 });
    limiter.settle(r, 42, NOW + 5_000);
    await settled(redisA);
    expect(await windowCount("key_settle")).toBe(42);
  });

  it("records finished requests' counts, summed per field in one turn", async () => {
    const batch = batchOn(redisA);
    batch.addUsage([
      ["c:key_x:2026-03-10", 1],
      ["m:key_x:2026-03-10:p:llama", 5],
    ]);
    batch.addUsage([
      ["c:key_x:2026-03-10", 1],
      ["m:key_x:2026-03-10:p:llama", 7],
    ]);
    await settled(redisA);
    expect(await redisA.hgetall(pendingUsageKey(env.prefix))).toMatchObject({
      "c:key_x:2026-03-10": "2",
      "m:key_x:2026-03-10:p:llama": "12",
    });
  });

  it("falls back to this process's own windows while Redis is not ready, and keeps counts until it is", async () => {
    const offline = connectRedis(env.config);
    offline.disconnect();
    const batch = batchOn(offline);
    const limiter = createTokenLimiter(batch, env.prefix);
    const first = await limiter.reserve("key_local", 100, 80, NOW);
    const second = await limiter.reserve("key_local", 100, 80, NOW);
    const third = await limiter.reserve("key_local", 100, 80, NOW);
    expect([first.store, first.decision.allowed, second.decision.allowed, third.decision.allowed]).toEqual([
      "local",
      true,
      true,
      false,
    ]);
    expect(await redisA.exists(tokenWindowKey(env.prefix, "key_local", tokenWindowStart(NOW)))).toBe(0);
    batch.addUsage([["c:key_held:2026-03-10", 3]]);
    await offline.connect();
    // The first turn once Redis is back carries what was kept.
    await batch.readKeyState("key_held");
    expect(await redisA.hget(pendingUsageKey(env.prefix), "c:key_held:2026-03-10")).toBe("3");
    offline.disconnect();
  });
});

describe("request meter", () => {
  const body = (json: object) => {
    const raw = Buffer.from(JSON.stringify(json));
    return {
      raw,
      model: "llama",
      json: json as Record<string, unknown>,
      stream: (json as { stream?: boolean }).stream === true,
      maxOutputTokens: (json as { max_tokens?: number }).max_tokens,
      choices: 1,
    };
  };
  const setUp = () => {
    const batch: HotPathBatch = batchOn(redisA);
    return {
      batch,
      metering: createMetering({ batch, limiter: createTokenLimiter(batch, env.prefix), now: () => NOW }),
    };
  };
  const at = new Date(NOW);
  const fields = async (keyId: string) => {
    const all = await redisA.hgetall(pendingUsageKey(env.prefix));
    return Object.fromEntries(Object.entries(all).filter(([f]) => f.includes(keyId)));
  };

  it("asks a stream for usage, hides the usage chunk, settles and records what the upstream reported", async () => {
    const { metering } = setUp();
    const admission = await metering.admit({
      keyId: "key_m1",
      tokenLimit: 10_000,
      route: "/v1/chat/completions",
      model: "llama",
      body: body({ model: "llama", stream: true, max_tokens: 50, messages: [] }),
      at,
    });
    if (!admission.ok) throw new Error("refused");
    expect(JSON.parse(String(admission.meter.body)).stream_options).toEqual({ include_usage: true });
    const tap = admission.meter.tap(200, "text/event-stream", undefined);
    const usage =
      'data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}\n\ndata: [DONE]\n\n';
    expect(String(tap?.write(Buffer.from(usage)))).toBe("data: [DONE]\n\n");
    admission.meter.finish("complete");
    admission.meter.finish("complete");
    await settled(redisA);
    expect(await fields("key_m1")).toEqual({
      "c:key_m1:2026-03-10": "1",
      "m:key_m1:2026-03-10:a:llama": "1",
      "m:key_m1:2026-03-10:p:llama": "9",
      "m:key_m1:2026-03-10:o:llama": "4",
    });
    expect(await windowCount("key_m1")).toBe(13);
  });

  it("charges a client gone before the usage its prompt's estimate, and marks its tokens as not reported", async () => {
    const { metering } = setUp();
    const sent = body({
      model: "llama",
      stream: true,
      messages: [{ role: "user", content: "x".repeat(100) }],
    });
    const admission = await metering.admit({
      keyId: "key_m2",
      tokenLimit: 10_000,
      route: "/v1/chat/completions",
      model: "llama",
      body: sent,
      at,
    });
    if (!admission.ok) throw new Error("refused");
    admission.meter
      .tap(200, "text/event-stream", undefined)
      ?.write(Buffer.from('data: {"choices":[{"delta":{}}]}\n\n'));
    admission.meter.finish("client_aborted");
    await settled(redisA);
    const prompt = Math.ceil(sent.raw.length / 4);
    expect(await fields("key_m2")).toMatchObject({
      "m:key_m2:2026-03-10:p:llama": String(prompt),
      "m:key_m2:2026-03-10:u:llama": "1",
    });
    expect(await windowCount("key_m2")).toBe(prompt);
  });

  it("refuses over the token limit and records the refusal, with nothing left reserved", async () => {
    const { metering } = setUp();
    const first = await metering.admit({
      keyId: "key_m3",
      tokenLimit: 100,
      route: "/v1/embeddings",
      model: "llama",
      body: body({ model: "llama", input: "y".repeat(500) }),
      at,
    });
    expect(first.ok).toBe(true);
    const second = await metering.admit({
      keyId: "key_m3",
      tokenLimit: 100,
      route: "/v1/embeddings",
      model: "llama",
      body: body({ model: "llama", input: "z" }),
      at,
    });
    expect(second).toMatchObject({ ok: false, decision: { allowed: false, limit: 100, remaining: 0 } });
    if (first.ok) {
      first.meter.tap(500, "application/json", undefined);
      first.meter.finish("complete");
    }
    await settled(redisA);
    expect(await fields("key_m3")).toEqual({
      "c:key_m3:2026-03-10": "2",
      "m:key_m3:2026-03-10:r:llama": "1",
      "m:key_m3:2026-03-10:e:llama": "1",
    });
    expect(await windowCount("key_m3")).toBe(0);
  });
});
