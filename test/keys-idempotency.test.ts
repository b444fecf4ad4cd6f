import { and, eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, auditEvents, idempotencyKeys } from "../src/db/schema.js";
import { openAnswer } from "../src/idempotency/sealed-answer.js";
import { purgeExpired } from "../src/purge/purge.js";
import { hashSecret } from "../src/secrets/secrets.js";
import { manualClock } from "../src/time/clock.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// Idempotency-Key on key creation and rotation: a call whose answer was lost, sent again with the same
// key, answers the first call's key and secret and changes nothing; only a hash of the key and the
// answer sealed under it are kept, for 24 hours.

let env: TestEnv;
let stub: UpstreamStub;
let web: TestApp;
let web2: TestApp;
const clock = manualClock();
const HOUR = 3_600_000;
/** The server's IDEMPOTENCY_ENCRYPTION_KEY in these tests (not a secret of any real deployment). */
const SERVER_KEY_HEX = "5e".repeat(32);
const serverKey = Buffer.from(SERVER_KEY_HEX, "hex");

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url, IDEMPOTENCY_ENCRYPTION_KEY: SERVER_KEY_HEX });
  web = await env.makeApp({ clock });
  web2 = await env.makeApp({ clock });
});
afterAll(async () => {
  await env?.close();
  await stub?.close();
});

const post = (token: string, path: string, body: object, key?: string, app: TestApp = web) => {
  const req = request(app.app).post(path).set("Authorization", `Bearer ${token}`);
  return (key === undefined ? req : req.set("Idempotency-Key", key)).send(body);
};
const activeKeys = async (token: string) =>
  (await request(web.app).get("/admin/keys").set("Authorization", `Bearer ${token}`).expect(200)).body
    .data as { id: string; name: string }[];
const auditCount = async (accountId: string, action: string) =>
  (
    await env.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.accountId, accountId), eq(auditEvents.action, action)))
  ).length;
const storedRows = (accountId: string) =>
  env.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.accountId, accountId));

describe("POST /admin/keys with Idempotency-Key", () => {
  it("answers a retry with the same key and secret, marked Idempotent-Replayed, and makes one key", async () => {
    const user = await createAccountWithSession(env);
    const first = await post(user.token, "/admin/keys", { name: "Production" }, "create-1").expect(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await post(user.token, "/admin/keys", { name: "Production" }, "create-1").expect(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.headers["cache-control"]).toBe("no-store");
    expect(again.body).toEqual(first.body);
    expect(again.body.secret).toMatch(/^sk-srt-/);
    expect((await activeKeys(user.token)).map((k) => k.id)).toEqual([first.body.key.id]);
    expect(await auditCount(user.id, "key.created")).toBe(1);
  });

  it("replays a secret that works on /v1", async () => {
    const user = await createAccountWithSession(env);
    await post(user.token, "/admin/keys", { name: "gateway" }, "create-v1").expect(201);
    const replayed = await post(user.token, "/admin/keys", { name: "gateway" }, "create-v1").expect(201);
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    await request(web.app)
      .get("/v1/models")
      .set("Authorization", `Bearer ${replayed.body.secret}`)
      .expect(200);
  });

  it("treats the same body spelled differently as the same request", async () => {
    const user = await createAccountWithSession(env);
    const body = { name: "spelled", permissions: ["chat:read", "models:list"], rate_limit_per_minute: 10 };
    const first = await post(user.token, "/admin/keys", body, "spelling").expect(201);
    const reordered = {
      rate_limit_per_minute: 10,
      permissions: ["chat:read", "models:list"],
      name: " spelled ",
    };
    const again = await post(user.token, "/admin/keys", reordered, "spelling").expect(201);
    expect([again.headers["idempotent-replayed"], again.body.key.id]).toEqual(["true", first.body.key.id]);
  });

  it("refuses the key reused with another body or route with 409 idempotency_key_reused, changing nothing", async () => {
    const user = await createAccountWithSession(env);
    const first = await post(user.token, "/admin/keys", { name: "one" }, "reused").expect(201);
    const other = await post(user.token, "/admin/keys", { name: "two" }, "reused");
    expect([other.status, other.body.error.code, other.body.error.type]).toEqual([
      409,
      "idempotency_key_reused",
      "invalid_request_error",
    ]);
    expect(other.body.error.message).toContain("Idempotency-Key");
    expect(JSON.stringify(other.body)).not.toContain(first.body.secret);
    const rotate = await post(user.token, `/admin/keys/${first.body.key.id}/rotate`, {}, "reused");
    expect([rotate.status, rotate.body.error.code]).toEqual([409, "idempotency_key_reused"]);
    expect((await activeKeys(user.token)).map((k) => k.name)).toEqual(["one"]);
    expect(await auditCount(user.id, "key.rotated")).toBe(0);
  });

  it("keeps each account's keys apart: the same value from another account makes its own key", async () => {
    const alice = await createAccountWithSession(env);
    const bob = await createAccountWithSession(env);
    const a = await post(alice.token, "/admin/keys", { name: "same" }, "shared-value").expect(201);
    const b = await post(bob.token, "/admin/keys", { name: "same" }, "shared-value").expect(201);
    expect(b.headers["idempotent-replayed"]).toBeUndefined();
    expect(b.body.key.id).not.toBe(a.body.key.id);
    expect(b.body.secret).not.toBe(a.body.secret);
    expect(await activeKeys(bob.token)).toHaveLength(1);
    const bobAgain = await post(bob.token, "/admin/keys", { name: "same" }, "shared-value").expect(201);
    expect(bobAgain.body.secret).toBe(b.body.secret);
  });

  it("makes one key from five simultaneous calls with one key, on two web processes", async () => {
    const user = await createAccountWithSession(env);
    // The account's row is held locked while the five arrive: the call that claims the key waits on
    // it inside its transaction, the four others on the claim. All five are in flight at once.
    let sent: Promise<request.Response[]> | undefined;
    await env.database.sql.begin(async (tx) => {
      await tx`select id from accounts where id = ${user.id} for update`;
      sent = Promise.all(
        [web, web2, web, web2, web].map((app) =>
          post(user.token, "/admin/keys", { name: "concurrent" }, "at-once", app).then((r) => r),
        ),
      );
      await waitFor("five calls waiting on locks", async () => {
        const [row] = await env.database.sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        return (row?.waiting ?? 0) >= 5;
      });
    });
    const answers = (await sent) ?? [];
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((r) => r.body.key.id)).size).toBe(1);
    expect(new Set(answers.map((r) => r.body.secret)).size).toBe(1);
    expect(answers.filter((r) => r.headers["idempotent-replayed"] === "true")).toHaveLength(4);
    expect(await activeKeys(user.token)).toHaveLength(1);
    expect(await auditCount(user.id, "key.created")).toBe(1);
  });

  it("serves simultaneous calls with different keys on one account, one after another, never a deadlock", async () => {
    const user = await createAccountWithSession(env);
    // Held as an account change holds it (FOR NO KEY UPDATE): each call's claim, whose foreign key
    // takes a KEY SHARE lock on the account, goes through; each then waits to lock the account for its
    // key count. Three transactions each holding KEY SHARE must not each wait for the others' to end.
    let sent: Promise<request.Response[]> | undefined;
    await env.database.sql.begin(async (tx) => {
      await tx`select id from accounts where id = ${user.id} for no key update`;
      sent = Promise.all(
        ["first", "second", "third"].map((name, i) =>
          post(user.token, "/admin/keys", { name }, `different-${name}`, i % 2 ? web2 : web).then((r) => r),
        ),
      );
      await waitFor("three calls waiting on the account", async () => {
        const [row] = await env.database.sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        return (row?.waiting ?? 0) >= 3;
      });
    });
    const answers = (await sent) ?? [];
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
    expect((await activeKeys(user.token)).map((k) => k.name).sort()).toEqual(["first", "second", "third"]);
  });

  it("keeps no error answer: the same key then runs again", async () => {
    const user = await createAccountWithSession(env);
    // Refused by validation, before anything ran, and refused inside the transaction (a past expiry).
    const invalid = await post(user.token, "/admin/keys", { name: "" }, "after-errors");
    expect([invalid.status, invalid.body.error.code]).toEqual([400, "validation_failed"]);
    const past = new Date(clock.now().getTime() - 1000).toISOString();
    const expired = await post(user.token, "/admin/keys", { name: "late", expires_at: past }, "after-errors");
    expect([expired.status, expired.body.error.param]).toEqual([400, "expires_at"]);
    expect(await storedRows(user.id)).toEqual([]);
    const created = await post(user.token, "/admin/keys", { name: "valid" }, "after-errors").expect(201);
    expect(created.headers["idempotent-replayed"]).toBeUndefined();
    expect((await activeKeys(user.token)).map((k) => k.id)).toEqual([created.body.key.id]);
    // The success is what is kept.
    const again = await post(user.token, "/admin/keys", { name: "valid" }, "after-errors").expect(201);
    expect([again.headers["idempotent-replayed"], again.body.key.id]).toEqual(["true", created.body.key.id]);
  });

  it("stores a hash of the Idempotency-Key and the answer sealed under it and the server's key, never the secret in clear", async () => {
    const user = await createAccountWithSession(env);
    const idempotencyKey = "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    const res = await post(user.token, "/admin/keys", { name: "at rest" }, idempotencyKey).expect(201);
    const secret: string = res.body.secret;
    const [row] = await env.database.sql`select * from idempotency_keys where account_id = ${user.id}`;
    expect(row).toMatchObject({
      key_hash: hashSecret(idempotencyKey),
      route: "POST /admin/keys",
      response_status: 201,
    });
    const text = JSON.stringify(row);
    for (const clear of [secret, secret.slice(7), secret.slice(-12), idempotencyKey, res.body.key.id]) {
      expect(text).not.toContain(clear);
    }
    // Only the Idempotency-Key, for this account, with the server's key, opens it: not the row and the
    // Idempotency-Key alone (a dump and a guessed value).
    const opened = openAnswer(idempotencyKey, user.id, row?.response_body, serverKey);
    expect(JSON.parse(opened ?? "null")).toEqual(res.body);
    expect(openAnswer(idempotencyKey, user.id, row?.response_body, undefined)).toBeNull();
    expect(openAnswer(`${idempotencyKey}x`, user.id, row?.response_body, serverKey)).toBeNull();
    expect(openAnswer(idempotencyKey, "acc_other", row?.response_body, serverKey)).toBeNull();
  });

  it("answers 409, changing nothing, when the first answer was sealed under a server key since replaced", async () => {
    const user = await createAccountWithSession(env);
    const first = await post(user.token, "/admin/keys", { name: "before" }, "across-keys").expect(201);
    const replaced = await env.makeApp({
      clock,
      config: env.configWith({ UPSTREAM_URL: stub.url, IDEMPOTENCY_ENCRYPTION_KEY: "a1".repeat(32) }),
    });
    const again = await post(user.token, "/admin/keys", { name: "before" }, "across-keys", replaced);
    expect([again.status, again.body.error.code]).toEqual([409, "idempotency_key_reused"]);
    expect(again.body.error.message).toMatch(/can no longer be read/);
    expect((await activeKeys(user.token)).map((k) => k.id)).toEqual([first.body.key.id]);
  });

  it("refuses a malformed Idempotency-Key with 400 naming the header", async () => {
    const user = await createAccountWithSession(env);
    for (const bad of ["", "has space", "é-accent", "x".repeat(256)]) {
      const res = await post(user.token, "/admin/keys", { name: "bad" }, bad);
      expect([res.status, res.body.error.code, res.body.error.type, res.body.error.param]).toEqual([
        400,
        "validation_failed",
        "invalid_request_error",
        "Idempotency-Key",
      ]);
      expect(res.body.error.message).toContain("Idempotency-Key");
    }
    expect(await activeKeys(user.token)).toEqual([]);
    await post(user.token, "/admin/keys", { name: "longest" }, "~".repeat(255)).expect(201);
  });

  it("lets a console on a CONSOLE_ORIGINS origin send Idempotency-Key and read Idempotent-Replayed", async () => {
    const preflight = await request(web.app)
      .options("/admin/keys")
      .set("Origin", "http://console.test")
      .set("Access-Control-Request-Method", "POST")
      .set("Access-Control-Request-Headers", "content-type, idempotency-key");
    expect(preflight.headers["access-control-allow-headers"]?.toLowerCase()).toContain("idempotency-key");
    const user = await createAccountWithSession(env);
    const res = await post(user.token, "/admin/keys", { name: "cors" }, "cors-1").set(
      "Origin",
      "http://console.test",
    );
    expect(res.headers["access-control-expose-headers"]).toContain("Idempotent-Replayed");
  });
});

describe("POST /admin/keys/:id/rotate with Idempotency-Key", () => {
  it("answers a retry with the same new key and rotates once", async () => {
    const user = await createAccountWithSession(env);
    const old = await insertApiKey(env, user.id, { name: "rotated" });
    const path = `/admin/keys/${old.id}/rotate`;
    const first = await post(user.token, path, { grace_period_seconds: 60 }, "rotate-1").expect(201);
    clock.advance(1000);
    const again = await post(user.token, path, { grace_period_seconds: 60 }, "rotate-1").expect(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.body.key.rotated_from).toBe(old.id);
    const successors = await env.database.db.select().from(apiKeys).where(eq(apiKeys.rotatedFrom, old.id));
    expect(successors.map((k) => k.id)).toEqual([first.body.key.id]);
    expect(await auditCount(user.id, "key.rotated")).toBe(1);
    // Without the key a second rotation is refused, as before: the key has its successor.
    const plain = await post(user.token, path, { grace_period_seconds: 60 });
    expect([plain.status, plain.body.error.code]).toEqual([409, "key_rotated"]);
    const other = await post(user.token, path, { grace_period_seconds: 0 }, "rotate-1");
    expect([other.status, other.body.error.code]).toEqual([409, "idempotency_key_reused"]);
  });

  it("answers two simultaneous rotations with one key with one new key", async () => {
    const user = await createAccountWithSession(env);
    const old = await insertApiKey(env, user.id);
    const path = `/admin/keys/${old.id}/rotate`;
    const both = await Promise.all([
      post(user.token, path, { grace_period_seconds: 0 }, "rotate-both", web),
      post(user.token, path, { grace_period_seconds: 0 }, "rotate-both", web2),
    ]);
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    expect(both[0]?.body.secret).toBe(both[1]?.body.secret);
    expect(await auditCount(user.id, "key.rotated")).toBe(1);
  });
});

describe("idempotency keys' 24 hours", () => {
  it("are purged by the purge job after 24 hours; a key sent after that runs anew", async () => {
    const later = manualClock(clock.now());
    const app = await env.makeApp({ clock: later });
    const user = await createAccountWithSession(env);
    const first = await post(user.token, "/admin/keys", { name: "day" }, "one-day", app).expect(201);
    const purge = () =>
      purgeExpired({ database: env.database, config: env.config, logger: env.logger, clock: later });

    // (Other tests' rows, made earlier on the same clock, may go already: this user's stays.)
    later.advance(24 * HOUR - 1);
    await purge();
    expect(await storedRows(user.id)).toHaveLength(1);
    const replayed = await post(user.token, "/admin/keys", { name: "day" }, "one-day", app).expect(201);
    expect([replayed.headers["idempotent-replayed"], replayed.body.key.id]).toEqual([
      "true",
      first.body.key.id,
    ]);

    // Past 24 hours and not yet purged, the key no longer replays: it is a new request.
    later.advance(1);
    const anew = await post(user.token, "/admin/keys", { name: "day" }, "one-day", app).expect(201);
    expect(anew.headers["idempotent-replayed"]).toBeUndefined();
    expect(anew.body.key.id).not.toBe(first.body.key.id);

    later.advance(24 * HOUR);
    expect((await purge()).idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(await storedRows(user.id)).toEqual([]);
  });
});
