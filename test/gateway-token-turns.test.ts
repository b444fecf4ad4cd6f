import type { Redis } from "ioredis";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenWindowKey } from "../src/gateway/token-limiter.js";
import { connectRedis } from "../src/redis/client.js";
import { tokenWindowStart } from "../src/token-limits/token-limit.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { monitorRedis, type RedisMonitor } from "./support/redis-monitor.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// A key this process already knows has its tokens reserved in the same Redis script call as its check
// (gateway.ts, forward-by-model.ts `start`), and a request refused after that gives them back. Watched
// from Redis's side (MONITOR), on a clock fixed mid-minute so that the token window is known.

const NOW = new Date("2026-03-10T12:00:30.000Z");
let env: TestEnv;
let stub: UpstreamStub;
let web: TestApp;
let redis: Redis;
let monitor: RedisMonitor;

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  web = await env.makeApp({ clock: { now: () => new Date(NOW) } });
  redis = connectRedis(env.config);
  monitor = await monitorRedis(env.config.redisUrl);
});
afterAll(async () => {
  monitor?.close();
  await redis?.quit();
  await web?.close();
  await stub.close();
  await env.close();
});

/** The arguments of every script call of this file's prefix, as Redis received them. */
const scriptCalls = () =>
  monitor.commands.filter(
    (args) => /^eval/i.test(args[0] ?? "") && args.some((a) => a.startsWith(`${env.prefix}:`)),
  );

const chat = (secret: string) =>
  request(web.app)
    .post("/v1/chat/completions")
    .set("Authorization", `Bearer ${secret}`)
    .send({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }], max_tokens: 3 });

/** The tokens counted in the key's window of NOW. */
const windowTokens = async (keyId: string) =>
  Number((await redis.get(tokenWindowKey(env.prefix, keyId, tokenWindowStart(NOW.getTime())))) ?? 0);

/** Waits until the window holds exactly what the answered requests used (7 tokens each at the stand-in). */
const settledAt = (keyId: string, tokens: number) =>
  waitFor(`${keyId}'s token window at ${tokens}`, async () => (await windowTokens(keyId)) === tokens);

describe("token reservations ride with the key's check", () => {
  it("reserves a known key's tokens in the one script call that checks the key and takes its rate limit", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id);
    await chat(key.secret).expect(200); // the key is looked up and cached
    await settledAt(key.id, 7);
    const before = scriptCalls().length;
    await chat(key.secret).expect(200);
    await settledAt(key.id, 14);
    // The answer's settlement is the last call of the request: once Redis has shown it, all are in.
    const usageField = `c:${key.id}:2026-03-10`;
    await waitFor("the settlement's script call", () =>
      scriptCalls()
        .slice(before)
        .some((args) => args.includes(usageField)),
    );
    const calls = scriptCalls().slice(before);
    const checks = calls.filter((args) => args.some((a) => a.endsWith(`:keys:changed-at:${key.id}`)));
    expect(checks).toHaveLength(1);
    const tokens = tokenWindowKey(env.prefix, key.id, tokenWindowStart(NOW.getTime()));
    expect(checks[0]).toContain(`${env.prefix}:ratelimit:${key.id}`);
    expect(checks[0]).toContain(tokens);
  });

  it("gives back what it reserved for a request its rate limit then refuses", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id, { rateLimitPerMinute: 1 });
    await chat(key.secret).expect(200);
    await settledAt(key.id, 7);
    const before = scriptCalls().length;
    const forwarded = stub.traffic().length;
    const refused = await chat(key.secret).expect(429);
    expect(refused.body.error.code).toBe("rate_limit_exceeded");
    expect(refused.headers["x-ratelimit-remaining-requests"]).toBe("0");
    // It was reserved with the check, then given back.
    const tokens = tokenWindowKey(env.prefix, key.id, tokenWindowStart(NOW.getTime()));
    expect(
      scriptCalls()
        .slice(before)
        .some((args) => args.includes(tokens)),
    ).toBe(true);
    await settledAt(key.id, 7);
    expect(stub.traffic()).toHaveLength(forwarded);
  });

  it("gives back what it reserved for a key revoked since this process cached it", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id);
    await chat(key.secret).expect(200);
    await settledAt(key.id, 7);
    await request(web.app)
      .post(`/admin/keys/${key.id}/revoke`)
      .set("Authorization", `Bearer ${account.token}`)
      .send({})
      .expect(200);
    const refused = await chat(key.secret).expect(401);
    expect(refused.body.error.code).toBe("invalid_api_key");
    await settledAt(key.id, 7);
  });
});
