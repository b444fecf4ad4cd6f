import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.js";
import { connectDatabase } from "../src/db/client.js";
import { bumpKeysEpoch, keyChangedAtKey } from "../src/keys/key-state.js";
import { manualClock } from "../src/time/clock.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

// Keys on the hot path: cached per process, yet revocation, rotation and expiry act at once on every
// process, and steady state makes no PostgreSQL query.

let env: TestEnv;
let stub: UpstreamStub;
const clock = manualClock(new Date("2026-03-01T12:00:00Z"));
let a: TestApp;
let b: TestApp;
let owner: { id: string; token: string };

const models = (app: TestApp, key: string) => request(app.app).get("/v1/models").set("X-API-Key", key);

async function createKey(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await request(a.app)
    .post("/admin/keys")
    .set("Authorization", `Bearer ${owner.token}`)
    .send({ name: "gateway test", ...body })
    .expect(201);
  return { id: res.body.key.id, secret: res.body.secret };
}

/** Both instances have served the key, so both hold it in their caches. */
async function warm(key: string): Promise<void> {
  await models(a, key).expect(200);
  await models(b, key).expect(200);
}

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  a = await env.makeApp({ clock });
  b = await env.makeApp({ clock });
  const account = await createAccountWithSession(env);
  owner = { id: account.id, token: account.token };
});
afterAll(async () => {
  await stub.close();
  await env.close();
});

describe("key life cycle across web processes", () => {
  it("a new key works on its very first request, on an instance that has served other keys", async () => {
    await warm((await createKey()).secret);
    const fresh = await createKey();
    await models(b, fresh.secret).expect(200);
  });

  it("a key revoked through instance A is refused by instance B on the very next request", async () => {
    const key = await createKey();
    await warm(key.secret);
    await request(a.app)
      .post(`/admin/keys/${key.id}/revoke`)
      .set("Authorization", `Bearer ${owner.token}`)
      .send({})
      .expect(200);
    const res = await models(b, key.secret).expect(401);
    expect(res.body.error).toEqual({
      message: "Invalid API key provided",
      type: "authentication_error",
      code: "invalid_api_key",
    });
    await models(a, key.secret).expect(401);
  });

  it("rotation with grace 0 stops the old key at once everywhere; the new one works", async () => {
    const key = await createKey();
    await warm(key.secret);
    const res = await request(a.app)
      .post(`/admin/keys/${key.id}/rotate`)
      .set("Authorization", `Bearer ${owner.token}`)
      .send({ grace_period_seconds: 0 })
      .expect(201);
    await models(b, key.secret).expect(401);
    await models(a, key.secret).expect(401);
    await models(b, res.body.secret).expect(200);
  });

  it("rotation with a grace period keeps the old key working until the period ends, then not", async () => {
    const key = await createKey();
    await warm(key.secret);
    const res = await request(a.app)
      .post(`/admin/keys/${key.id}/rotate`)
      .set("Authorization", `Bearer ${owner.token}`)
      .send({ grace_period_seconds: 3600 })
      .expect(201);
    clock.advance(3599_000);
    await models(b, key.secret).expect(200);
    await models(a, res.body.secret).expect(200);
    clock.advance(1_000);
    await models(b, key.secret).expect(401);
    await models(a, key.secret).expect(401);
    await models(b, res.body.secret).expect(200);
  });

  it("an expired key is refused, and a cached key stops at its expiry without a database look-up", async () => {
    const past = await insertApiKey(env, owner.id, { expiresAt: new Date(clock.now().getTime() - 1) });
    await models(a, past.secret).expect(401);
    const soon = await insertApiKey(env, owner.id, { expiresAt: new Date(clock.now().getTime() + 60_000) });
    await warm(soon.secret);
    clock.advance(60_000);
    await models(a, soon.secret).expect(401);
    await models(b, soon.secret).expect(401);
  });

  it("when Redis loses its markers (epoch gone), caches are dropped and PostgreSQL decides again", async () => {
    const key = await insertApiKey(env, owner.id);
    await warm(key.secret);
    // A revocation whose marker was lost with a Redis flush: only PostgreSQL knows.
    await env.database
      .sql`update api_keys set revoked_at = ${clock.now().toISOString()} where id = ${key.id}`;
    await a.deps.redis.del(keyChangedAtKey(env.prefix, key.id));
    await models(b, key.secret).expect(200);
    await bumpKeysEpoch(a.deps.redis, env.prefix);
    await models(b, key.secret).expect(401);
    await models(a, key.secret).expect(401);
  });

  it("uses the tier's limit, or the key's own lower one", async () => {
    const pro = await createAccountWithSession(env, { tier: "pro" });
    const proKey = await insertApiKey(env, pro.id);
    const lowered = await insertApiKey(env, pro.id, { rateLimitPerMinute: 7 });
    const r1 = await models(a, proKey.secret).expect(200);
    expect(r1.headers["x-ratelimit-limit-requests"]).toBe("600");
    const r2 = await models(a, lowered.secret).expect(200);
    expect(r2.headers["x-ratelimit-limit-requests"]).toBe("7");
    expect(r2.headers["x-ratelimit-remaining-requests"]).toBe("6");
  });

  it("limits are shared by all instances", async () => {
    const key = await insertApiKey(env, owner.id, { rateLimitPerMinute: 3 });
    await models(a, key.secret).expect(200);
    await models(b, key.secret).expect(200);
    await models(a, key.secret).expect(200);
    const res = await models(b, key.secret).expect(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });
});

describe("the hot path", () => {
  it("makes no PostgreSQL query per request once a key is cached; unknown keys are cached too", async () => {
    let queries = 0;
    const seen: string[] = [];
    const database = connectDatabase(env.config, {
      onQuery: (query) => {
        queries++;
        seen.push(query.replace(/\s+/g, " ").slice(0, 200));
      },
    });
    const counted = createApp({ ...a.deps, database }).handle;
    try {
      const key = await insertApiKey(env, owner.id, { rateLimitPerMinute: 60 });
      // The app's hot-path Redis connection (its own) may still be connecting for the first requests:
      // until it is ready keys are checked against PostgreSQL and not cached (nothing vouches for the
      // record then). The key is cached once a request issues no query; a query per request never gets there.
      let warm = 0;
      for (let before = -1; before !== queries && warm < 20; warm++) {
        before = queries;
        await request(counted).get("/v1/models").set("X-API-Key", key.secret).expect(200);
      }
      expect(queries).toBeGreaterThanOrEqual(1);
      expect(warm).toBeLessThan(20);
      const afterWarm = queries;
      for (let i = 0; i < 25; i++) {
        await request(counted).get("/v1/models").set("Authorization", `Bearer ${key.secret}`).expect(200);
      }
      expect(seen.slice(afterWarm)).toEqual([]);

      // A made-up key with a valid checksum: one look-up, then remembered as unknown.
      const madeUp = await insertApiKey(env, owner.id);
      await env.database.sql`delete from api_keys where id = ${madeUp.id}`;
      await request(counted).get("/v1/models").set("X-API-Key", madeUp.secret).expect(401);
      const afterUnknown = queries;
      expect(afterUnknown).toBe(afterWarm + 1);
      for (let i = 0; i < 10; i++) {
        await request(counted).get("/v1/models").set("X-API-Key", madeUp.secret).expect(401);
      }
      // Malformed keys never reach the database at all.
      await request(counted).get("/v1/models").set("X-API-Key", "sk-srt-short").expect(401);
      expect(queries).toBe(afterUnknown);
    } finally {
      await database.close();
    }
  });

  it("buffers last-used time and the day's count in Redis, with no PostgreSQL write", async () => {
    const key = await insertApiKey(env, owner.id);
    for (let i = 0; i < 3; i++) await models(a, key.secret).expect(200);
    const pending = pendingUsageKey(env.prefix);
    const field = `c:${key.id}:${utcDay(clock.now())}`;
    for (let i = 0; i < 100 && (await a.deps.redis.hget(pending, field)) !== "3"; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await a.deps.redis.hget(pending, field)).toBe("3");
    expect(await a.deps.redis.hget(pending, `t:${key.id}`)).toBe(String(clock.now().getTime()));
    const [row] = await env.database.sql`select last_used_at from api_keys where id = ${key.id}`;
    expect(row?.last_used_at).toBeNull();
  });

  it("refuses keys of a disabled account", async () => {
    const other = await createAccountWithSession(env);
    const key = await insertApiKey(env, other.id);
    await env.database.sql`update accounts set disabled_at = now() where id = ${other.id}`;
    await models(a, key.secret).expect(401);
  });
});
