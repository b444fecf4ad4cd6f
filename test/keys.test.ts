import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../src/db/schema.js";
import { hashSecret, isWellFormedApiKey } from "../src/secrets/secrets.js";
import { manualClock } from "../src/time/clock.js";
import { asSession } from "./support/as-session.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;
const clock = manualClock();

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

const as = (token: string) => asSession(web, token);

function expectError(res: request.Response, status: number, code: string, param?: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  if (param !== undefined) expect(res.body.error.param).toBe(param);
}

describe("POST /admin/keys", () => {
  it("creates a key with every permission by default and returns its secret once, not cached", async () => {
    const user = await createAccountWithSession(env);
    const res = await as(user.token).post("/admin/keys", { name: "  Development  " }).expect(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { key, secret } = res.body;
    expect(secret).toMatch(/^sk-srt-[A-Za-z0-9]{32}$/);
    expect(isWellFormedApiKey(secret)).toBe(true);
    expect(key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-z]{26}$/),
      name: "Development",
      prefix: "sk-srt-",
      last4: secret.slice(-4),
      permissions: ["chat:read", "embeddings:read", "models:list"],
      rate_limit_per_minute: 60,
      token_limit_per_minute: 40_000,
      models: null,
      status: "active",
      created_at: clock.now().toISOString(),
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
      rotated_from: null,
    });
    const [row] = await env.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.keyHash).toBe(hashSecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    // Only creation shows the secret.
    const got = await as(user.token).get(`/admin/keys/${key.id}`).expect(200);
    expect(JSON.stringify(got.body)).not.toContain(secret);
    expect(got.headers["cache-control"]).not.toBe("no-store");
    expect(env.logs.lines.length).toBeGreaterThan(0);
    expect(env.logs.text).not.toContain(secret);
    expect(env.logs.text).not.toContain(user.token);
  });

  it("keeps chosen permissions without duplicates, an expiry and a lower rate limit", async () => {
    const user = await createAccountWithSession(env, { tier: "pro" });
    const expiresAt = new Date(clock.now().getTime() + 3_600_000).toISOString();
    const res = await as(user.token)
      .post("/admin/keys", {
        name: "prod-app-v1",
        permissions: ["models:list", "chat:read", "models:list"],
        expires_at: expiresAt,
        rate_limit_per_minute: 600,
      })
      .expect(201);
    expect(res.body.key).toMatchObject({
      permissions: ["models:list", "chat:read"],
      expires_at: expiresAt,
      rate_limit_per_minute: 600,
      status: "active",
    });
    const unlimited = await as(user.token).post("/admin/keys", { name: "tier" }).expect(201);
    expect(unlimited.body.key.rate_limit_per_minute).toBe(600);
  });

  it("refuses invalid bodies with 400 naming the field", async () => {
    const user = await createAccountWithSession(env);
    const post = (body: object) => as(user.token).post("/admin/keys", body);
    expectError(await post({}), 400, "validation_failed", "name");
    expectError(await post({ name: "   " }), 400, "validation_failed", "name");
    expectError(await post({ name: "x".repeat(101) }), 400, "validation_failed", "name");
    expect((await post({ name: "x".repeat(100) })).status).toBe(201);
    expectError(await post({ name: 42 }), 400, "validation_failed", "name");
    expectError(await post({ name: "a", permissions: [] }), 400, "validation_failed", "permissions");
    expectError(
      await post({ name: "a", permissions: ["admin:all"] }),
      400,
      "validation_failed",
      "permissions",
    );
    expectError(await post({ name: "a", permissions: "chat:read" }), 400, "validation_failed", "permissions");
    const past = new Date(clock.now().getTime() - 1000).toISOString();
    expectError(await post({ name: "a", expires_at: past }), 400, "validation_failed", "expires_at");
    expectError(
      await post({ name: "a", expires_at: clock.now().toISOString() }),
      400,
      "validation_failed",
      "expires_at",
    );
    expectError(await post({ name: "a", expires_at: "tomorrow" }), 400, "validation_failed", "expires_at");
    expectError(
      await post({ name: "a", rate_limit_per_minute: 61 }),
      400,
      "validation_failed",
      "rate_limit_per_minute",
    );
    expectError(
      await post({ name: "a", rate_limit_per_minute: 0 }),
      400,
      "validation_failed",
      "rate_limit_per_minute",
    );
    expectError(
      await post({ name: "a", rate_limit_per_minute: 1.5 }),
      400,
      "validation_failed",
      "rate_limit_per_minute",
    );
    // Mass assignment: fields the client may not set are refused by name.
    expectError(await post({ name: "a", status: "active" }), 400, "validation_failed", "status");
    expectError(await post({ name: "a", account_id: "acc_x" }), 400, "validation_failed", "account_id");
    const count = await env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, user.id));
    expect(count).toHaveLength(1);
  });

  it("refuses malformed JSON and non-JSON bodies", async () => {
    const user = await createAccountWithSession(env);
    const bad = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", `Bearer ${user.token}`)
      .set("Content-Type", "application/json")
      .send('{"name": ');
    expectError(bad, 400, "invalid_json");
    const form = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", `Bearer ${user.token}`)
      .type("form")
      .send("name=x");
    expectError(form, 415, "unsupported_media_type");
  });

  it("answers valid JSON that is not an object (null, a string) with what was expected, not invalid_json", async () => {
    const user = await createAccountWithSession(env);
    for (const body of ["null", '"a key"', "42", "[]"]) {
      const res = await request(web.app)
        .post("/admin/keys")
        .set("Authorization", `Bearer ${user.token}`)
        .set("Content-Type", "application/json")
        .send(body);
      expectError(res, 400, "validation_failed");
      expect(res.body.error.message).toBe("Request body must be a JSON object");
    }
  });

  it("says what a field must be in words, not in zod's ('expected int, received number')", async () => {
    const user = await createAccountWithSession(env);
    const refusals = [
      [{ name: "a", rate_limit_per_minute: 2.5 }, "rate_limit_per_minute: must be a whole number"],
      [{ name: "a", rate_limit_per_minute: "10" }, "rate_limit_per_minute: must be a number"],
      [{ name: "a", token_limit_per_minute: 0 }, "token_limit_per_minute: must be greater than 0"],
      [{ name: 5 }, "name: must be a string"],
      [{}, "name: is required"],
      [{ name: "a", models: "m" }, "models: must be a list"],
    ] as const;
    for (const [body, message] of refusals) {
      const res = await as(user.token).post("/admin/keys", body);
      expectError(res, 400, "validation_failed");
      expect(res.body.error.message).toBe(message);
    }
    const listed = await as(user.token).get("/admin/keys?status=gone&limit=20");
    expect(listed.body.error.message).toBe('status: must be one of "active", "revoked", "expired", "all"');
    expect((await as(user.token).get("/admin/keys")).body.data).toEqual([]);
  });

  it("is 403 email_not_verified for an unverified account, 401 without a session", async () => {
    const user = await createAccountWithSession(env, { verified: false });
    expectError(await as(user.token).post("/admin/keys", { name: "a" }), 403, "email_not_verified");
    expectError(await request(web.app).post("/admin/keys").send({ name: "a" }), 401, "session_required");
    expectError(await request(web.app).get("/admin/keys"), 401, "session_required");
    // An API key is not a console session.
    const other = await createAccountWithSession(env);
    const key = await insertApiKey(env, other.id);
    expectError(await as(key.secret).get("/admin/keys"), 401, "session_required");
  });
});

describe("GET /admin/keys", () => {
  it("pages newest first through each status filter", async () => {
    const user = await createAccountWithSession(env);
    const now = clock.now().getTime();
    const made: Record<string, string[]> = { active: [], revoked: [], expired: [] };
    for (let i = 0; i < 7; i++) {
      const status = (["active", "revoked", "expired"] as const)[i % 3] as string;
      const key = await insertApiKey(env, user.id, {
        name: `k${i}`,
        createdAt: new Date(now - 100_000 + i * 1000),
        revokedAt: status === "revoked" ? new Date(now - 1000) : null,
        // A revoked key that has also expired still reads as revoked.
        expiresAt: status === "expired" ? new Date(now - 1) : i === 1 ? new Date(now - 1) : null,
      });
      made[status]?.push(key.id);
    }
    const all = [...(made.active ?? []), ...(made.revoked ?? []), ...(made.expired ?? [])].sort().reverse();
    const walk = async (status: string, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `/admin/keys?status=${status}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
        const res = await as(user.token).get(q).expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        for (const k of res.body.data) {
          if (status !== "all") expect(k.status).toBe(status);
          ids.push(k.id);
        }
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      return { ids, pages };
    };
    expect(await walk("all", 3)).toEqual({ ids: all, pages: 3 });
    expect((await walk("active", 2)).ids).toEqual([...(made.active ?? [])].reverse());
    expect((await walk("revoked", 1)).ids).toEqual([...(made.revoked ?? [])].reverse());
    expect((await walk("expired", 5)).ids).toEqual([...(made.expired ?? [])].reverse());
    // Default: active keys, 20 per page, and no next page.
    const def = await as(user.token).get("/admin/keys").expect(200);
    expect(def.body.data.map((k: { id: string }) => k.id)).toEqual([...(made.active ?? [])].reverse());
    expect(def.body.next_cursor).toBeNull();
  });

  it("lists only the caller's keys", async () => {
    const a = await createAccountWithSession(env);
    const b = await createAccountWithSession(env);
    const mine = await insertApiKey(env, a.id);
    await insertApiKey(env, b.id);
    const res = await as(a.token).get("/admin/keys?status=all").expect(200);
    expect(res.body.data.map((k: { id: string }) => k.id)).toEqual([mine.id]);
  });

  it("refuses a bad query with 400", async () => {
    const user = await createAccountWithSession(env);
    const get = (q: string) => as(user.token).get(`/admin/keys${q}`);
    expectError(await get("?status=deleted"), 400, "validation_failed", "status");
    expectError(await get("?limit=0"), 400, "validation_failed", "limit");
    expectError(await get("?limit=101"), 400, "validation_failed", "limit");
    expectError(await get("?limit=ten"), 400, "validation_failed", "limit");
    expectError(await get("?cursor=not-a-cursor"), 400, "invalid_cursor", "cursor");
    expectError(await get("?stauts=active"), 400, "validation_failed", "stauts");
    expect((await get("?limit=100&status=all")).status).toBe(200);
  });
});

describe("GET and PATCH /admin/keys/:id", () => {
  it("renames a key, refusing bad names and revoked keys", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id, { name: "old" });
    const res = await as(user.token).patch(`/admin/keys/${key.id}`, { name: " staging-app " }).expect(200);
    expect(res.body.key).toMatchObject({ id: key.id, name: "staging-app", status: "active" });
    expect((await as(user.token).get(`/admin/keys/${key.id}`)).body.key.name).toBe("staging-app");
    expectError(await as(user.token).patch(`/admin/keys/${key.id}`, {}), 400, "validation_failed", "name");
    expectError(
      await as(user.token).patch(`/admin/keys/${key.id}`, { name: "" }),
      400,
      "validation_failed",
      "name",
    );
    expectError(
      await as(user.token).patch(`/admin/keys/${key.id}`, { name: "x", permissions: ["chat:read"] }),
      400,
      "validation_failed",
      "permissions",
    );
    const revoked = await insertApiKey(env, user.id, { revokedAt: new Date() });
    expectError(await as(user.token).patch(`/admin/keys/${revoked.id}`, { name: "x" }), 409, "key_revoked");
  });

  it("shows an expired key as expired and lets it be renamed", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id, { expiresAt: new Date(clock.now().getTime() - 1) });
    expect((await as(user.token).get(`/admin/keys/${key.id}`).expect(200)).body.key.status).toBe("expired");
    await as(user.token).patch(`/admin/keys/${key.id}`, { name: "still mine" }).expect(200);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    const user = await createAccountWithSession(env);
    expectError(await as(user.token).get("/admin/keys/key_00000000000000000000000000"), 404, "not_found");
    expectError(await as(user.token).get("/admin/keys/nope"), 404, "not_found");
    expectError(await as(user.token).get("/admin/keys/%27%20or%201=1"), 404, "not_found");
  });

  it("answers another account's key with 404 for every verb and changes nothing", async () => {
    const owner = await createAccountWithSession(env);
    const intruder = await createAccountWithSession(env);
    const key = await insertApiKey(env, owner.id, { name: "owner's" });
    const path = `/admin/keys/${key.id}`;
    const them = as(intruder.token);
    expectError(await them.get(path), 404, "not_found");
    expectError(await them.patch(path, { name: "mine now" }), 404, "not_found");
    expectError(await them.post(`${path}/revoke`), 404, "not_found");
    expectError(await them.post(`${path}/rotate`, { grace_period_seconds: 0 }), 404, "not_found");
    expectError(await them.get(`${path}/usage`), 404, "not_found");
    const [row] = await env.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row).toMatchObject({ name: "owner's", revokedAt: null, expiresAt: null });
    const rotated = await env.database.db.select().from(apiKeys).where(eq(apiKeys.rotatedFrom, key.id));
    expect(rotated).toHaveLength(0);
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const res = await as(user.token).delete(`/admin/keys/${key.id}`);
    expectError(res, 405, "method_not_allowed");
    expect(res.headers.allow).toContain("PATCH");
  });
});

describe("GET /admin/permissions", () => {
  it("lists the catalog", async () => {
    const user = await createAccountWithSession(env);
    const res = await as(user.token).get("/admin/permissions").expect(200);
    expect(res.body.data.map((p: { id: string }) => p.id)).toEqual([
      "chat:read",
      "embeddings:read",
      "models:list",
    ]);
    for (const p of res.body.data) expect(p.description).toEqual(expect.any(String));
    // The route table, each route under the permission it needs.
    expect(res.body.data[0].routes).toEqual([
      "POST /v1/chat/completions",
      "POST /v1/completions",
      "POST /v1/responses",
      "POST /v1/audio/transcriptions",
      "POST /v1/audio/translations",
      "POST /v1/tokenize",
      "POST /v1/detokenize",
      "GET /v1/responses/:id",
      "POST /v1/responses/:id/cancel",
    ]);
    expect(res.body.data[1].routes).toEqual([
      "POST /v1/embeddings",
      "POST /v1/rerank",
      "POST /v1/score",
      "POST /v1/classify",
      "POST /v1/pooling",
      "POST /v2/rerank",
    ]);
    expect(res.body.data[2].routes).toEqual(["GET /v1/models", "GET /v1/models/:id"]);
    expectError(await request(web.app).get("/admin/permissions"), 401, "session_required");
  });
});

describe("OpenAPI", () => {
  it("documents every keys path with the request schemas", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    const paths = res.body.paths;
    for (const p of [
      "/admin/keys",
      "/admin/keys/{id}",
      "/admin/keys/{id}/revoke",
      "/admin/keys/{id}/rotate",
      "/admin/keys/{id}/usage",
      "/admin/permissions",
      "/admin/audit-events",
    ]) {
      expect(paths[p], p).toBeDefined();
    }
    expect(paths["/admin/keys"].post.requestBody).toBeDefined();
    expect(paths["/admin/keys"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["status", "limit", "cursor"]),
    );
  });
});
