import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, auditEvents } from "../src/db/schema.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// Every row of the contract's accounts table, with its failures. No worker runs here: queued email
// jobs stay in the queue, where the tests inspect them.

let env: TestEnv;
let web: TestApp;
const PASSWORD = "a perfectly fine passphrase";

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1" });
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `192.0.2.${++ipCounter}`;
const post = (path: string, body: unknown, ip = nextIp()) =>
  request(web.app)
    .post(path)
    .set("X-Forwarded-For", ip)
    .send(body as object);

async function queuedJobs() {
  const jobs = await web.deps.emailQueue.getJobs(["waiting", "delayed", "active", "completed", "failed"]);
  return jobs.map((j) => ({ name: j.name, data: j.data as Record<string, unknown>, id: j.id }));
}

describe("POST /admin/accounts", () => {
  it("creates an unverified account, stores the email trimmed, and queues one verification email", async () => {
    const res = await post("/admin/accounts", {
      email: "  New.Person@Example.com\t",
      password: PASSWORD,
    }).expect(201);
    expect(Object.keys(res.body.account).sort()).toEqual(
      [
        "created_at",
        "email",
        "email_verified",
        "id",
        "rotation_reminder_days",
        "tier",
        "totp_enabled",
        "new_signin_emails",
        "pending_email",
      ].sort(),
    );
    expect(res.body.account).toMatchObject({
      email: "New.Person@Example.com",
      email_verified: false,
      tier: "free",
      rotation_reminder_days: 30,
    });
    expect(res.body.account.id).toMatch(/^acc_/);
    const jobs = (await queuedJobs()).filter((j) => j.data.accountId === res.body.account.id);
    expect(jobs).toHaveLength(1);
    // Only the account id travels through Redis: the token is minted by the worker.
    expect(jobs[0]).toMatchObject({ name: "verification-email", data: { accountId: res.body.account.id } });
    expect(Object.keys(jobs[0]?.data ?? {})).toEqual(["accountId"]);
    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, res.body.account.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("refuses an email taken in another case with 409 email_taken", async () => {
    await post("/admin/accounts", { email: "taken@example.com", password: PASSWORD }).expect(201);
    const res = await post("/admin/accounts", { email: " TAKEN@Example.COM ", password: PASSWORD }).expect(
      409,
    );
    expect(res.body.error).toMatchObject({ code: "email_taken", type: "invalid_request_error" });
  });

  it("lets exactly one of several simultaneous signups for one email succeed", async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        post("/admin/accounts", {
          email: i % 2 ? "race@example.com" : "RACE@example.com",
          password: PASSWORD,
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });

  it.each([
    ["an invalid email", { email: "not-an-email", password: PASSWORD }, "email"],
    ["a missing email", { password: PASSWORD }, "email"],
    ["a missing password", { email: "p1@example.com" }, "password"],
    ["a password of 11 characters", { email: "p2@example.com", password: "abcdefghijk" }, "password"],
    ["a password of 257 characters", { email: "p3@example.com", password: "x".repeat(257) }, "password"],
    [
      "6 emoji (12 UTF-16 units, 6 code points)",
      { email: "p4@example.com", password: "😀".repeat(6) },
      "password",
    ],
    ["the email's local part", { email: "averylongname@example.com", password: "AVERYLONGNAME" }, "password"],
    [
      "a password containing the local part",
      { email: "marguerite@example.com", password: "i am Marguerite!!" },
      "password",
    ],
    ["a common password", { email: "p5@example.com", password: "1qaz2wsx3edc" }, "password"],
    ["a common password in another case", { email: "p6@example.com", password: "1QAZ2WSX3EDC" }, "password"],
    ["a non-string password", { email: "p7@example.com", password: 123456789012 }, "password"],
    ["an unknown field", { email: "p8@example.com", password: PASSWORD, tier: "enterprise" }, "tier"],
  ])("refuses %s with 400 validation_failed naming the field", async (_what, body, param) => {
    const res = await post("/admin/accounts", body).expect(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", type: "invalid_request_error", param });
  });

  it("words a refused password as any field's refusal is worded: the field's name first", async () => {
    const refusal = async (password: string) =>
      (await post("/admin/accounts", { email: "words@example.com", password }).expect(400)).body.error
        .message;
    expect(await refusal("abcdefghijk")).toBe("password: must be at least 12 characters");
    expect(await refusal("x".repeat(257))).toBe("password: must be at most 256 characters");
    expect(await refusal("my words are mine")).toBe("password: must not contain the email address");
    expect(await refusal("1qaz2wsx3edc")).toBe("password: is too common");
    expect(await refusal("abcdefghijkl")).toBe(
      "password: is too easy to guess: it is mostly sequential characters (like 1234 or abcd)",
    );
    // As a schema's refusal of another field reads:
    expect(
      (await post("/admin/accounts", { email: "nope", password: PASSWORD }).expect(400)).body.error.message,
    ).toBe("email: must be a valid email address");
  });

  it("accepts 12 emoji, 256 characters, and a short local part inside the password", async () => {
    // Varied, not one character repeated: repetitions are refused (NIST 800-63B).
    const emoji = Array.from({ length: 12 }, (_, i) => String.fromCodePoint(0x1f600 + i * 3)).join("");
    const long = Array.from({ length: 256 }, (_, i) => "qzmxwnbvkalspdjfhgtr"[(i * 7) % 19]).join("");
    await post("/admin/accounts", { email: "e1@example.com", password: emoji }).expect(201);
    await post("/admin/accounts", { email: "e2@example.com", password: long }).expect(201);
    await post("/admin/accounts", { email: "jo@example.com", password: "jo likes long passphrases" }).expect(
      201,
    );
  });

  it("answers 429 with Retry-After when one IP signs up too often", async () => {
    const ip = "192.0.2.250";
    for (let i = 0; i < 20; i++) {
      const res = await post("/admin/accounts", { email: `bulk${i}@example.com`, password: "short" }, ip);
      expect(res.status).toBe(400);
    }
    const res = await post(
      "/admin/accounts",
      { email: "bulk-last@example.com", password: PASSWORD },
      ip,
    ).expect(429);
    expect(res.body.error).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error" });
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });
  it("counts a malformed signup against the IP's limit too: the IP is counted before the body is read", async () => {
    const ip = "192.0.2.251";
    for (let i = 0; i < 20; i++) {
      const res = await post("/admin/accounts", { email: "not-an-email", password: PASSWORD }, ip);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param: "email" });
    }
    const res = await post("/admin/accounts", { email: "fine-after@example.com", password: PASSWORD }, ip);
    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({ code: "rate_limit_exceeded" });
  });
});

describe("POST /admin/accounts/verify", () => {
  it("refuses an unknown token with 400 invalid_token and a missing one with validation_failed", async () => {
    const res = await post("/admin/accounts/verify", { token: "no-such-token" }).expect(400);
    expect(res.body.error).toMatchObject({ code: "invalid_token", type: "invalid_request_error" });
    const missing = await post("/admin/accounts/verify", {}).expect(400);
    expect(missing.body.error).toMatchObject({
      code: "validation_failed",
      param: "token",
      message: "token: is required",
    });
    const empty = await post("/admin/accounts/verify", { token: "" }).expect(400);
    expect(empty.body.error).toMatchObject({ param: "token", message: "token: must not be empty" });
  });
});

describe("POST /admin/accounts/verification-email", () => {
  it("answers 202 {} for any email, queuing an email only for an unverified account", async () => {
    const unverified = await createAccount(env, { verified: false });
    const verified = await createAccount(env);
    for (const email of ["nobody-here@example.com", verified.email, unverified.email.toUpperCase()]) {
      await post("/admin/accounts/verification-email", { email }).expect(202, {});
    }
    const jobs = await queuedJobs();
    expect(jobs.filter((j) => j.data.accountId === unverified.id).map((j) => j.name)).toEqual([
      "verification-email",
    ]);
    expect(jobs.filter((j) => j.data.accountId === verified.id)).toEqual([]);
  });

  it("answers 429 when one email is asked for too often", async () => {
    for (let i = 0; i < 5; i++)
      await post("/admin/accounts/verification-email", { email: "spam@example.com" }).expect(202);
    const res = await post("/admin/accounts/verification-email", { email: "SPAM@example.com" }).expect(429);
    expect(res.body.error.code).toBe("rate_limit_exceeded");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });
});

describe("POST /admin/accounts/password-reset and /confirm", () => {
  it("answers 202 {} for any email, queuing a reset email only for an existing account", async () => {
    const existing = await createAccount(env);
    await post("/admin/accounts/password-reset", { email: "ghost@example.com" }).expect(202, {});
    await post("/admin/accounts/password-reset", { email: ` ${existing.email} ` }).expect(202, {});
    const jobs = (await queuedJobs()).filter((j) => j.name === "password-reset-email");
    expect(jobs.map((j) => j.data)).toEqual([{ accountId: existing.id }]);
  });

  it("answers 429 when resets are asked for too often, and 400 for a bad email", async () => {
    for (let i = 0; i < 5; i++)
      await post("/admin/accounts/password-reset", { email: "often@example.com" }).expect(202);
    const res = await post("/admin/accounts/password-reset", { email: "often@example.com" }).expect(429);
    expect(res.headers["retry-after"]).toMatch(/^\d+$/);
    const bad = await post("/admin/accounts/password-reset", { email: "nope" }).expect(400);
    expect(bad.body.error.param).toBe("email");
  });

  it("refuses a confirm with an unknown token", async () => {
    const res = await post("/admin/accounts/password-reset/confirm", {
      token: "x".repeat(43),
      password: PASSWORD,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_token");
  });
});

describe("GET and PATCH /admin/me", () => {
  it("needs a session: 401 session_required without one or with an unknown token", async () => {
    expect((await request(web.app).get("/admin/me").expect(401)).body.error).toMatchObject({
      code: "session_required",
      type: "authentication_error",
    });
    await request(web.app)
      .get("/admin/me")
      .set("Authorization", "Bearer sk-srt-notasessiontoken")
      .expect(401);
  });

  it("reads and changes rotation_reminder_days within 0..365", async () => {
    const { token, id } = await createAccountWithSession(env);
    const auth = { Authorization: `Bearer ${token}` };
    expect((await request(web.app).get("/admin/me").set(auth).expect(200)).body.account.id).toBe(id);
    for (const days of [0, 365, 7]) {
      const res = await request(web.app).patch("/admin/me").set(auth).send({ rotation_reminder_days: days });
      expect(res.status).toBe(200);
      expect(res.body.account.rotation_reminder_days).toBe(days);
    }
    for (const bad of [366, -1, 1.5, "30", null]) {
      const res = await request(web.app).patch("/admin/me").set(auth).send({ rotation_reminder_days: bad });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param: "rotation_reminder_days" });
    }
    const unknown = await request(web.app)
      .patch("/admin/me")
      .set(auth)
      .send({ email: "x@example.com" })
      .expect(400);
    expect(unknown.body.error.param).toBe("email");
    expect((await request(web.app).get("/admin/me").set(auth)).body.account.rotation_reminder_days).toBe(7);
  });

  it("refuses a change that changes nothing, as PATCH /admin/keys/:id does: 400 naming what to give", async () => {
    const { token } = await createAccountWithSession(env);
    const auth = { Authorization: `Bearer ${token}` };
    const key = await request(web.app).post("/admin/keys").set(auth).send({ name: "k" }).expect(201);
    const emptyKey = await request(web.app)
      .patch(`/admin/keys/${key.body.key.id}`)
      .set(auth)
      .send({})
      .expect(400);
    const emptyMe = await request(web.app).patch("/admin/me").set(auth).send({}).expect(400);
    expect(emptyKey.body.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed" });
    expect(emptyMe.body.error).toEqual({
      message: "rotation_reminder_days: give rotation_reminder_days or new_signin_emails (or both)",
      type: "invalid_request_error",
      code: "validation_failed",
      param: "rotation_reminder_days",
    });
    // No body at all reads as {}.
    await request(web.app).patch("/admin/me").set(auth).expect(400);
    const one = await request(web.app)
      .patch("/admin/me")
      .set(auth)
      .send({ new_signin_emails: false })
      .expect(200);
    expect(one.body.account).toMatchObject({ new_signin_emails: false, rotation_reminder_days: 30 });
  });
});

describe("POST /admin/me/password", () => {
  it("changes the password, keeps this session, ends the others and records password.changed", async () => {
    const { id, email, token } = await createAccountWithSession(env);
    const other = (await post("/admin/sessions", { email, password: FIXTURE_PASSWORD }).expect(201)).body
      .session.token;
    const auth = { Authorization: `Bearer ${token}` };

    const wrong = await request(web.app)
      .post("/admin/me/password")
      .set(auth)
      .send({ current_password: "not it at all", new_password: "a brand new passphrase" })
      .expect(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const weak = await request(web.app)
      .post("/admin/me/password")
      .set(auth)
      .send({ current_password: FIXTURE_PASSWORD, new_password: "short" })
      .expect(400);
    expect(weak.body.error).toMatchObject({
      code: "validation_failed",
      param: "new_password",
      message: "new_password: must be at least 12 characters",
    });
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${other}`).expect(200);

    await request(web.app)
      .post("/admin/me/password")
      .set(auth)
      .send({ current_password: FIXTURE_PASSWORD, new_password: "a brand new passphrase" })
      .expect(204);
    await request(web.app).get("/admin/me").set(auth).expect(200);
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${other}`).expect(401);
    await post("/admin/sessions", { email, password: FIXTURE_PASSWORD }).expect(401);
    await post("/admin/sessions", { email, password: "a brand new passphrase" }).expect(201);
    const actions = (
      await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, id))
    ).map((e) => e.action);
    expect(actions).toContain("password.changed");
  });
  it("refuses the current password as the new one, once the current one is right, and changes nothing", async () => {
    const { id, email, token } = await createAccountWithSession(env);
    const other = (await post("/admin/sessions", { email, password: FIXTURE_PASSWORD }).expect(201)).body
      .session.token;
    const change = (current: string, next: string) =>
      request(web.app)
        .post("/admin/me/password")
        .set("Authorization", `Bearer ${token}`)
        .send({ current_password: current, new_password: next });

    const same = await change(FIXTURE_PASSWORD, FIXTURE_PASSWORD).expect(400);
    expect(same.body.error).toEqual({
      message: "new_password: must be different from the current password",
      type: "invalid_request_error",
      code: "validation_failed",
      param: "new_password",
    });
    // The same string twice, but not the password: the wrong current password is what is said.
    const guessed = await change("a guess typed twice", "a guess typed twice").expect(401);
    expect(guessed.body.error.code).toBe("invalid_credentials");

    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${other}`).expect(200);
    const actions = (
      await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, id))
    ).map((e) => e.action);
    expect(actions).not.toContain("password.changed");
  });

  it("limits wrong current passwords like failed logins: the 11th guess is 429 with Retry-After", async () => {
    const { token } = await createAccountWithSession(env);
    const guess = () =>
      request(web.app)
        .post("/admin/me/password")
        .set("Authorization", `Bearer ${token}`)
        .send({ current_password: "a wrong guess here", new_password: "a brand new passphrase" });
    for (let i = 0; i < 10; i++) expect((await guess()).status).toBe(401);
    const blocked = await guess();
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("rate_limit_exceeded");
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
  });
});

describe("CSRF, CORS and request errors on /admin", () => {
  it("refuses a cookie-authenticated change without an allowed Origin, and accepts an allowed one", async () => {
    const { token } = await createAccountWithSession(env);
    const cookie = `keyward_session=${token}`;
    const body = { rotation_reminder_days: 10 };
    const none = await request(web.app).patch("/admin/me").set("Cookie", cookie).send(body).expect(403);
    expect(none.body.error).toMatchObject({ code: "csrf_rejected", type: "permission_error" });
    await request(web.app)
      .patch("/admin/me")
      .set("Cookie", cookie)
      .set("Origin", "http://evil.test")
      .send(body)
      .expect(403);
    await request(web.app)
      .patch("/admin/me")
      .set("Cookie", cookie)
      .set("Origin", "http://console.test")
      .send(body)
      .expect(200);
    // Login CSRF: an unauthenticated POST announcing a foreign origin is refused too.
    await request(web.app).post("/admin/sessions").set("Origin", "http://evil.test").send({}).expect(403);
  });

  it("allows CORS for the console origin only, with credentials and Vary: Origin", async () => {
    const allowed = await request(web.app)
      .options("/admin/me")
      .set("Origin", "http://console.test")
      .set("Access-Control-Request-Method", "PATCH");
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://console.test");
    expect(allowed.headers["access-control-allow-credentials"]).toBe("true");
    expect(allowed.headers.vary).toMatch(/Origin/);
    const simple = await request(web.app).get("/admin/me").set("Origin", "http://console.test").expect(401);
    expect(simple.headers["access-control-allow-origin"]).toBe("http://console.test");
    expect(simple.headers.vary).toMatch(/Origin/);

    const foreign = await request(web.app)
      .options("/admin/me")
      .set("Origin", "http://evil.test")
      .set("Access-Control-Request-Method", "PATCH");
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    expect(foreign.headers["access-control-allow-credentials"]).toBeUndefined();
    // A preflight is not a call: it is answered (without permission), not refused as unauthenticated.
    expect(foreign.status).toBe(204);
    expect(foreign.text).toBe("");
  });

  it("answers a non-JSON body with 415, malformed JSON with 400 invalid_json, a wrong method with 405", async () => {
    const text = await request(web.app)
      .post("/admin/accounts")
      .set("Content-Type", "text/plain")
      .send("hello")
      .expect(415);
    expect(text.body.error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error" });
    const broken = await request(web.app)
      .post("/admin/accounts")
      .set("X-Forwarded-For", nextIp())
      .set("Content-Type", "application/json")
      .send("{not json")
      .expect(400);
    expect(broken.body.error.code).toBe("invalid_json");
    const method = await request(web.app).get("/admin/accounts").expect(405);
    expect(method.body.error.code).toBe("method_not_allowed");
    expect(method.headers.allow).toBe("POST");
  });
});
