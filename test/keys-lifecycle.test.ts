import { and, eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, auditEvents } from "../src/db/schema.js";
import { keyChangedAtKey, parseKeyChangeMarker } from "../src/keys/key-state.js";
import { hashSecret, isWellFormedApiKey } from "../src/secrets/secrets.js";
import { manualClock } from "../src/time/clock.js";
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

const post = (app: TestApp, token: string, path: string, body?: object) =>
  request(app.app).post(path).set("Authorization", `Bearer ${token}`).send(body);
const get = (token: string, path: string) =>
  request(web.app).get(path).set("Authorization", `Bearer ${token}`);
/** The key's change marker (when its latest change was published, and when that change stops it). */
const marker = async (keyId: string) => {
  const value = await web.deps.redis.get(keyChangedAtKey(env.prefix, keyId));
  return value === null ? null : parseKeyChangeMarker(value);
};
/** A marker published by a call that began at `since` (machine time), stopping the key at `deadAtMs`. */
const publishedSince = (since: number, deadAtMs: number) => ({
  changedAtMs: expect.toSatisfy((v: number) => v >= since && v <= Date.now()),
  deadAtMs,
});
const keyRow = async (id: string) =>
  (await env.database.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0];
const auditCount = async (keyId: string, action: string) =>
  (
    await env.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.keyId, keyId), eq(auditEvents.action, action)))
  ).length;

describe("POST /admin/keys/:id/revoke", () => {
  it("revokes at once, publishes the change, and a second call changes nothing", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const revokedAt = clock.now();
    const since = Date.now();
    const first = await post(web, user.token, `/admin/keys/${key.id}/revoke`).expect(200);
    expect(first.body.key).toMatchObject({
      id: key.id,
      status: "revoked",
      revoked_at: revokedAt.toISOString(),
    });
    const published = await marker(key.id);
    expect(published).toEqual(publishedSince(since, revokedAt.getTime()));

    clock.advance(60_000);
    const again = await post(web, user.token, `/admin/keys/${key.id}/revoke`).expect(200);
    expect(again.body.key.revoked_at).toBe(revokedAt.toISOString());
    expect(again.body.key.status).toBe("revoked");
    expect(await marker(key.id)).toEqual(published);
    expect(await auditCount(key.id, "key.revoked")).toBe(1);
  });

  it("settles concurrent revocations on one revoked_at and one audit event", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => post(web, user.token, `/admin/keys/${key.id}/revoke`)),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.key.revoked_at)).size).toBe(1);
    expect(await auditCount(key.id, "key.revoked")).toBe(1);
  });

  it("keeps a revoked key revoked even once it would have expired", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id, { expiresAt: new Date(clock.now().getTime() + 1000) });
    await post(web, user.token, `/admin/keys/${key.id}/revoke`).expect(200);
    clock.advance(2000);
    expect((await get(user.token, `/admin/keys/${key.id}`)).body.key.status).toBe("revoked");
  });

  it("refuses a body with fields", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const res = await post(web, user.token, `/admin/keys/${key.id}/revoke`, { reason: "x" });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe("reason");
    expect((await keyRow(key.id))?.revokedAt).toBeNull();
  });
});

describe("POST /admin/keys/:id/rotate", () => {
  it("with grace 0: a new key with the same settings, the old one expired at once", async () => {
    const user = await createAccountWithSession(env);
    const expiresAt = new Date(clock.now().getTime() + 30 * 86_400_000);
    const old = await insertApiKey(env, user.id, {
      name: "prod-app-v1",
      permissions: ["chat:read"],
      rateLimitPerMinute: 30,
      expiresAt,
    });
    const now = clock.now();
    const since = Date.now();
    const res = await post(web, user.token, `/admin/keys/${old.id}/rotate`, {
      grace_period_seconds: 0,
    }).expect(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { key, secret, previous } = res.body;
    expect(isWellFormedApiKey(secret)).toBe(true);
    expect(secret).not.toBe(old.secret);
    expect(key).toMatchObject({
      name: "prod-app-v1",
      permissions: ["chat:read"],
      rate_limit_per_minute: 30,
      expires_at: expiresAt.toISOString(),
      status: "active",
      rotated_from: old.id,
      last4: secret.slice(-4),
    });
    expect(key.id).not.toBe(old.id);
    expect(previous).toMatchObject({ id: old.id, status: "expired", expires_at: now.toISOString() });
    expect(JSON.stringify(previous)).not.toContain(old.secret);
    expect(await marker(old.id)).toEqual(publishedSince(since, now.getTime()));
    expect((await keyRow(key.id))?.keyHash).toBe(hashSecret(secret));
    expect(await auditCount(old.id, "key.rotated")).toBe(1);
  });

  it("with a grace period: the old key stays active until the grace ends", async () => {
    const user = await createAccountWithSession(env);
    const old = await insertApiKey(env, user.id);
    const start = clock.now().getTime();
    const since = Date.now();
    const res = await post(web, user.token, `/admin/keys/${old.id}/rotate`, {
      grace_period_seconds: 3600,
    }).expect(201);
    const graceEnd = start + 3_600_000;
    expect(res.body.previous).toMatchObject({
      status: "active",
      expires_at: new Date(graceEnd).toISOString(),
    });
    expect(await marker(old.id)).toEqual(publishedSince(since, graceEnd));

    clock.advance(3_600_000 - 1);
    expect((await get(user.token, `/admin/keys/${old.id}`)).body.key.status).toBe("active");
    clock.advance(1);
    expect((await get(user.token, `/admin/keys/${old.id}`)).body.key.status).toBe("expired");
    expect((await get(user.token, `/admin/keys/${res.body.key.id}`)).body.key.status).toBe("active");
  });

  it("defaults to a grace of one day and never extends the old key's own expiry", async () => {
    const user = await createAccountWithSession(env);
    const a = await insertApiKey(env, user.id);
    const now = clock.now().getTime();
    const byDefault = await post(web, user.token, `/admin/keys/${a.id}/rotate`).expect(201);
    expect(byDefault.body.previous.expires_at).toBe(new Date(now + 86_400_000).toISOString());

    const soon = new Date(now + 600_000);
    const b = await insertApiKey(env, user.id, { expiresAt: soon });
    const since = Date.now();
    const res = await post(web, user.token, `/admin/keys/${b.id}/rotate`, {
      grace_period_seconds: 604_800,
    }).expect(201);
    expect(res.body.previous.expires_at).toBe(soon.toISOString());
    expect(res.body.key.expires_at).toBe(soon.toISOString());
    expect(await marker(b.id)).toEqual(publishedSince(since, soon.getTime()));
  });

  it("refuses a revoked key (409 key_revoked) and an expired one (409 key_expired)", async () => {
    const user = await createAccountWithSession(env);
    const revoked = await insertApiKey(env, user.id, { revokedAt: clock.now() });
    const expired = await insertApiKey(env, user.id, { expiresAt: new Date(clock.now().getTime() - 1) });
    const r1 = await post(web, user.token, `/admin/keys/${revoked.id}/rotate`, { grace_period_seconds: 0 });
    expect([r1.status, r1.body.error.code]).toEqual([409, "key_revoked"]);
    const r2 = await post(web, user.token, `/admin/keys/${expired.id}/rotate`, { grace_period_seconds: 0 });
    expect([r2.status, r2.body.error.code]).toEqual([409, "key_expired"]);
    const children = await env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, user.id));
    expect(children).toHaveLength(2);
  });

  it("rotates a key once: a repeated or concurrent rotation is 409 key_rotated and mints no second key", async () => {
    const user = await createAccountWithSession(env);
    const old = await insertApiKey(env, user.id);
    const both = await Promise.all([
      post(web, user.token, `/admin/keys/${old.id}/rotate`, { grace_period_seconds: 60 }),
      post(web, user.token, `/admin/keys/${old.id}/rotate`, { grace_period_seconds: 60 }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const refused = both.find((r) => r.status === 409);
    expect(refused?.body.error).toMatchObject({ code: "key_rotated", type: "invalid_request_error" });
    const again = await post(web, user.token, `/admin/keys/${old.id}/rotate`, { grace_period_seconds: 0 });
    expect([again.status, again.body.error.code]).toEqual([409, "key_rotated"]);
    const successors = await env.database.db.select().from(apiKeys).where(eq(apiKeys.rotatedFrom, old.id));
    expect(successors).toHaveLength(1);
    // The replacement itself can be rotated in turn.
    const next = await post(web, user.token, `/admin/keys/${successors[0]?.id}/rotate`, {
      grace_period_seconds: 0,
    });
    expect(next.status).toBe(201);
  });

  it("refuses a bad grace period with 400", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    for (const body of [
      { grace_period_seconds: -1 },
      { grace_period_seconds: 604_801 },
      { grace_period_seconds: "60" },
      { grace_period_seconds: 1.5 },
    ]) {
      const res = await post(web, user.token, `/admin/keys/${key.id}/rotate`, body);
      expect([res.status, res.body.error.param]).toEqual([400, "grace_period_seconds"]);
    }
    const extra = await post(web, user.token, `/admin/keys/${key.id}/rotate`, { name: "new" });
    expect([extra.status, extra.body.error.param]).toEqual([400, "name"]);
    expect((await keyRow(key.id))?.expiresAt).toBeNull();
  });
});

describe("with Redis unreachable", () => {
  it("revoke and rotate fail with 503 and change nothing", async () => {
    const down = await env.makeApp({ clock, redisUrl: "redis://127.0.0.1:1" });
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const revoke = await post(down, user.token, `/admin/keys/${key.id}/revoke`);
    expect([revoke.status, revoke.body.error.code, revoke.body.error.type]).toEqual([
      503,
      "service_unavailable",
      "api_error",
    ]);
    const rotate = await post(down, user.token, `/admin/keys/${key.id}/rotate`, { grace_period_seconds: 0 });
    expect([rotate.status, rotate.body.error.code]).toEqual([503, "service_unavailable"]);
    expect(await keyRow(key.id)).toMatchObject({ revokedAt: null, expiresAt: null });
    const all = await env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, user.id));
    expect(all).toHaveLength(1);
    expect(
      await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, user.id)),
    ).toHaveLength(0);
    expect(await marker(key.id)).toBeNull();
    // The same call succeeds once Redis answers.
    await post(web, user.token, `/admin/keys/${key.id}/revoke`).expect(200);
  });
});
