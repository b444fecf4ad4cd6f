import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyChangedAtKey } from "../src/keys/key-state.js";
import { asSession } from "./support/as-session.js";
import { createAccountWithSession } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

let env: TestEnv;
let web: TestApp;
let other: TestApp;
let stub: UpstreamStub;

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ TOKEN_LIMIT_FREE: "5000", TOKEN_LIMIT_PRO: "90000", UPSTREAM_URL: stub.url });
  web = await env.makeApp();
  // A second web process (its own connections and key cache) on the same PostgreSQL and Redis.
  other = await env.makeApp();
});
afterAll(async () => {
  await env?.close();
  await stub?.close();
});

const as = (token: string) => asSession(web, token);

/** The token limit a /v1 chat through `app` is held to, as its x-ratelimit-limit-tokens header says. */
async function tokenLimitSeenBy(app: TestApp, secret: string): Promise<number> {
  const res = await request(app.app)
    .post("/v1/chat/completions")
    .set("Authorization", `Bearer ${secret}`)
    .send({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }], max_tokens: 3 })
    .expect(200);
  return Number(res.headers["x-ratelimit-limit-tokens"]);
}

describe("a key's token limit", () => {
  it("is the tier's unless lowered at creation, may not exceed the tier's, and survives rotation", async () => {
    const user = await createAccountWithSession(env);
    const post = (path: string, body: object) => as(user.token).post(path, body);
    const plain = await post("/admin/keys", { name: "plain" });
    expect(plain.body.key.token_limit_per_minute).toBe(5000);
    const lowered = await post("/admin/keys", { name: "low", token_limit_per_minute: 1200 });
    expect(lowered.status).toBe(201);
    expect(lowered.body.key.token_limit_per_minute).toBe(1200);
    const over = await post("/admin/keys", { name: "high", token_limit_per_minute: 5001 });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: "validation_failed", param: "token_limit_per_minute" });
    for (const bad of [0, -1, 1.5, "100"]) {
      expect((await post("/admin/keys", { name: "bad", token_limit_per_minute: bad })).status).toBe(400);
    }
    const rotated = await post(`/admin/keys/${lowered.body.key.id}/rotate`, { grace_period_seconds: 0 });
    expect(rotated.body.key.token_limit_per_minute).toBe(1200);
    const got = await as(user.token).get(`/admin/keys/${plain.body.key.id}`);
    expect(got.body.key.token_limit_per_minute).toBe(5000);
  });

  it("changes through PATCH (null: the tier's again), never above the tier's, audited and published", async () => {
    const user = await createAccountWithSession(env);
    const made = await as(user.token).post("/admin/keys", { name: "k" }).expect(201);
    const id = made.body.key.id;
    const since = Date.now();
    const lowered = await as(user.token)
      .patch(`/admin/keys/${id}`, { token_limit_per_minute: 800 })
      .expect(200);
    expect(lowered.body.key).toMatchObject({ name: "k", token_limit_per_minute: 800 });
    // The key's change marker (keys/publish-key-change.ts): every process reads the key again.
    const marker = await web.deps.redis.get(keyChangedAtKey(env.config.redisPrefix, id));
    expect(Number(marker)).toBeGreaterThanOrEqual(since);
    expect((await as(user.token).get(`/admin/keys/${id}`)).body.key.token_limit_per_minute).toBe(800);

    const over = await as(user.token)
      .patch(`/admin/keys/${id}`, { token_limit_per_minute: 5001 })
      .expect(400);
    expect(over.body.error).toMatchObject({
      code: "validation_failed",
      param: "token_limit_per_minute",
      message: "token_limit_per_minute: may not exceed your tier's limit of 5000",
    });
    for (const bad of [0, -5, 2.5, "100", true]) {
      const res = await as(user.token)
        .patch(`/admin/keys/${id}`, { token_limit_per_minute: bad })
        .expect(400);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param: "token_limit_per_minute" });
    }
    // A refused change changed nothing, and wrote no audit event.
    expect((await as(user.token).get(`/admin/keys/${id}`)).body.key.token_limit_per_minute).toBe(800);

    const both = await as(user.token)
      .patch(`/admin/keys/${id}`, { name: "k2", token_limit_per_minute: null })
      .expect(200);
    expect(both.body.key).toMatchObject({ name: "k2", token_limit_per_minute: 5000 });
    const events = await as(user.token).get("/admin/audit-events").expect(200);
    expect(events.body.data.map((e: { action: string }) => e.action).sort()).toEqual([
      "key.created",
      "key.renamed",
      "key.token_limit_changed",
      "key.token_limit_changed",
    ]);

    await as(user.token).post(`/admin/keys/${id}/revoke`, {}).expect(200);
    const frozen = await as(user.token)
      .patch(`/admin/keys/${id}`, { token_limit_per_minute: 10 })
      .expect(409);
    expect(frozen.body.error.code).toBe("key_revoked");
    const stranger = await createAccountWithSession(env);
    await as(stranger.token).patch(`/admin/keys/${id}`, { token_limit_per_minute: 10 }).expect(404);
  });

  it("holds the very next /v1 request to the new limit on every web process", async () => {
    const user = await createAccountWithSession(env);
    const made = await as(user.token).post("/admin/keys", { name: "live" }).expect(201);
    const { id } = made.body.key;
    const secret = made.body.secret as string;
    // The other process has the key's record in its cache from a first request.
    expect(await tokenLimitSeenBy(other, secret)).toBe(5000);
    await as(user.token).patch(`/admin/keys/${id}`, { token_limit_per_minute: 1200 }).expect(200);
    expect(await tokenLimitSeenBy(other, secret)).toBe(1200);
    expect(await tokenLimitSeenBy(web, secret)).toBe(1200);
    await as(user.token).patch(`/admin/keys/${id}`, { token_limit_per_minute: null }).expect(200);
    expect(await tokenLimitSeenBy(other, secret)).toBe(5000);
  });

  it("admits the next request under a lowered limit when nothing was spent against it", async () => {
    const user = await createAccountWithSession(env);
    const made = await as(user.token).post("/admin/keys", { name: "lowered" }).expect(201);
    const { id } = made.body.key;
    const secret = made.body.secret as string;
    // No max_tokens: each request reserves its prompt and 1,024 tokens, more than the limit set below.
    const chat = (app: TestApp) =>
      request(app.app)
        .post("/v1/chat/completions")
        .set("Authorization", `Bearer ${secret}`)
        .send({ model: STUB_MODEL, messages: [{ role: "user", content: "Hi" }] });
    // Both processes have the key's record in their caches, with the tier's limit.
    const first = await chat(other).expect(200);
    await chat(web).expect(200);
    expect(2 * first.body.usage.total_tokens).toBeLessThan(1000);
    await as(user.token).patch(`/admin/keys/${id}`, { token_limit_per_minute: 1000 }).expect(200);
    // While the change settles, a cached record is read again per request: what was reserved for the
    // old record is given back before the new reservation is judged, not after it.
    for (const app of [other, web]) {
      const res = await chat(app);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Number(res.headers["x-ratelimit-limit-tokens"])).toBe(1000);
    }
  });

  it("is in the OpenAPI document for create, update and the key", async () => {
    const doc = (await request(web.app).get("/admin/openapi.json").expect(200)).body;
    const schemas = doc.components.schemas;
    expect(schemas.ApiKey.properties.token_limit_per_minute).toBeDefined();
    expect(schemas.CreateKeyRequest.properties.token_limit_per_minute).toBeDefined();
    expect(schemas.UpdateKeyRequest.properties.token_limit_per_minute).toMatchObject({
      type: ["integer", "null"],
    });
  });
});
