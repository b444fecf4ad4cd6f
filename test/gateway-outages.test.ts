import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.js";
import { connectDatabase } from "../src/db/client.js";
import { connectRedis } from "../src/redis/client.js";
import { generateApiKey } from "../src/secrets/secrets.js";
import { pendingUsageKey } from "../src/usage/buffer.js";
import { flushUsage } from "../src/usage/flush.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// One instance loses Redis or PostgreSQL (its connection goes through a TCP proxy the test cuts) while
// the shared servers keep serving the other instance and the other test files.

let env: TestEnv;
let stub: UpstreamStub;
let main: TestApp;
let owner: { id: string; token: string };

const models = (app: TestApp["app"], key: string) => request(app).get("/v1/models").set("X-API-Key", key);

async function revokeThroughMain(keyId: string): Promise<void> {
  await request(main.app)
    .post(`/admin/keys/${keyId}/revoke`)
    .set("Authorization", `Bearer ${owner.token}`)
    .send({})
    .expect(200);
}

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  main = await env.makeApp();
  const account = await createAccountWithSession(env);
  owner = { id: account.id, token: account.token };
});
afterAll(async () => {
  await stub.close();
  await env.close();
});

describe("Redis unreachable for one instance", () => {
  let proxy: TcpProxy;
  let cut: TestApp;
  let queries = 0;
  let counted: ReturnType<typeof createApp>["handle"];
  let database: ReturnType<typeof connectDatabase>;

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    cut = await env.makeApp({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    database = connectDatabase(env.config, { onQuery: () => queries++ });
    counted = createApp({ ...cut.deps, database }).handle;
  });
  afterAll(async () => {
    await database.close();
    await proxy.close();
  });

  it("still checks every key against PostgreSQL, refuses revoked and expired keys, and never fails", async () => {
    const good = await insertApiKey(env, owner.id);
    const toRevoke = await insertApiKey(env, owner.id);
    const revokedBefore = await insertApiKey(env, owner.id);
    const expired = await insertApiKey(env, owner.id, { expiresAt: new Date(Date.now() + 60 * 60_000) });
    for (const key of [good, toRevoke, revokedBefore, expired]) await models(counted, key.secret).expect(200);
    await revokeThroughMain(revokedBefore.id);
    await models(counted, revokedBefore.secret).expect(401);

    await proxy.close();
    await waitFor("the cut Redis connection to leave ready", () => cut.deps.redis.status !== "ready");

    const before = queries;
    const ok = await models(counted, good.secret).expect(200);
    expect(queries).toBeGreaterThan(before); // checked against PostgreSQL, not the cache
    expect(ok.headers["x-ratelimit-limit-requests"]).toBe("60");
    expect(Number(ok.headers["x-ratelimit-remaining-requests"])).toBeLessThan(60);

    // Revoked through the other instance (whose Redis works) while this one cannot see the markers.
    await revokeThroughMain(toRevoke.id);
    await models(counted, toRevoke.secret).expect(401);
    await models(counted, revokedBefore.secret).expect(401);
    await env.database
      .sql`update api_keys set expires_at = now() - interval '1 second' where id = ${expired.id}`;
    await models(counted, expired.secret).expect(401);
    await models(counted, generateApiKey().secret).expect(401);
    await models(counted, "sk-srt-nope").expect(401);
    await request(counted).get("/v1/models").expect(401);
  });

  it("falls back to a per-process rate limit", async () => {
    expect(cut.deps.redis.status).not.toBe("ready");
    const key = await insertApiKey(env, owner.id, { rateLimitPerMinute: 2 });
    await models(counted, key.secret).expect(200);
    await models(counted, key.secret).expect(200);
    const res = await models(counted, key.secret).expect(429);
    expect(res.body.error.code).toBe("rate_limit_exceeded");
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });
});

describe("key use while Redis is away for one instance", () => {
  it("reaches the key's last use and usage once Redis is back, with no further request", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const away = await env.makeApp({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    const redis = connectRedis(env.config);
    try {
      const key = await insertApiKey(env, owner.id);
      proxy.cut();
      await waitFor("the cut Redis connection to leave ready", () => away.deps.redis.status !== "ready");
      const usedAt = Date.now();
      await models(away.app, key.secret).expect(200);
      await models(away.app, key.secret).expect(200);
      proxy.restore();
      // Nothing else is asked of this instance: what it kept through the outage must go by itself.
      await waitFor("the kept use to reach Redis", async () =>
        Object.keys(await redis.hgetall(pendingUsageKey(env.prefix))).some((f) => f.includes(key.id)),
      );
      await flushUsage({ ...away.deps, redis });
      const res = await request(main.app)
        .get(`/admin/keys/${key.id}`)
        .set("Authorization", `Bearer ${owner.token}`)
        .expect(200);
      expect(Date.parse(res.body.key.last_used_at)).toBeGreaterThanOrEqual(usedAt - 1_000);
      const usage = await request(main.app)
        .get(`/admin/keys/${key.id}/usage?days=1`)
        .set("Authorization", `Bearer ${owner.token}`)
        .expect(200);
      expect(usage.body.data.map((d: { requests: number }) => d.requests)).toEqual([2]);
    } finally {
      redis.disconnect();
      await away.close();
      await proxy.close();
    }
  });
});

describe("Redis black-holed for one instance (connected, never answering)", () => {
  it("waits out one command timeout, then checks keys against PostgreSQL at once until Redis answers", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const holed = await env.makeApp({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    let queries = 0;
    const database = connectDatabase(env.config, { onQuery: () => queries++ });
    const app = createApp({ ...holed.deps, database }).handle;
    const good = await insertApiKey(env, owner.id);
    const toRevoke = await insertApiKey(env, owner.id);
    await models(app, good.secret).expect(200);
    await models(app, toRevoke.secret).expect(200);

    proxy.stall();
    const logsBefore = env.logs.lines.length;
    const before = queries;
    // The first request meets the timeout (1 s), then falls back; the hot path is now suspended.
    await models(app, good.secret).expect(200);
    expect(queries).toBeGreaterThan(before);
    expect(env.logs.lines.slice(logsBefore).join("\n")).toContain("Redis did not answer in time");
    expect(holed.deps.redis.status).toBe("ready"); // ioredis still sees a live connection

    await revokeThroughMain(toRevoke.id);
    await models(app, toRevoke.secret).expect(401);
    await models(app, generateApiKey().secret).expect(401);
    const again = await models(app, good.secret).expect(200);
    expect(again.headers["x-ratelimit-limit-requests"]).toBe("60");

    proxy.resume();
    await database.close();
    await proxy.close();
  });
});

describe("PostgreSQL unreachable for one instance", () => {
  it("keeps known keys working, refuses unknown ones with 503 and revoked ones with 401", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    const url = new URL(env.config.databaseUrl);
    url.host = `127.0.0.1:${proxy.port}`;
    const cut = await env.makeApp({ config: env.configWith({ DATABASE_URL: url.toString() }) });
    try {
      const known = await insertApiKey(env, owner.id);
      const toRevoke = await insertApiKey(env, owner.id);
      const neverSeen = await insertApiKey(env, owner.id);
      await models(cut.app, known.secret).expect(200);
      await models(cut.app, toRevoke.secret).expect(200);

      await proxy.close();

      for (let i = 0; i < 3; i++) await models(cut.app, known.secret).expect(200);
      const unknown = await models(cut.app, neverSeen.secret).expect(503);
      expect(unknown.body.error).toMatchObject({ type: "api_error", code: "service_unavailable" });
      await models(cut.app, generateApiKey().secret).expect(503);
      await models(cut.app, "key-abc123").expect(401);
      await revokeThroughMain(toRevoke.id);
      await models(cut.app, toRevoke.secret).expect(401);
      await models(cut.app, known.secret).expect(200);
    } finally {
      await proxy.close();
    }
  });
});
