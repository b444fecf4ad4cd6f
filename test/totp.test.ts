import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, auditEvents, recoveryCodes } from "../src/db/schema.js";
import { hashSecret } from "../src/secrets/secrets.js";
import { manualClock } from "../src/time/clock.js";
import { openTotpSecret, sealTotpSecret } from "../src/totp/secret-box.js";
import { totpCodeAt } from "../src/totp/totp-codes.js";
import { createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { enrolTotp, TEST_TOTP_KEY } from "./support/second-factor.js";

// The second factor through the admin API, on two web processes sharing one clock that only moves
// when a test moves it: enrolment, the login challenge, codes of this step and the one before,
// replays, recovery codes, expiry and the brute-force limits.

let env: TestEnv;
let a: TestApp;
let b: TestApp;
let noKey: TestApp;
const clock = manualClock(new Date("2026-06-01T10:00:00Z"));
const STEP_MS = 30_000;

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1", TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY });
  a = await env.makeApp({ clock });
  b = await env.makeApp({ clock });
  noKey = await env.makeApp({ clock, config: env.configWith({ TOTP_ENCRYPTION_KEY: "" }) });
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const logIn = (app: TestApp, email: string, ip: string, password = FIXTURE_PASSWORD) =>
  request(app.app).post("/admin/sessions").set("X-Forwarded-For", ip).send({ email, password });
const answer = (app: TestApp, ip: string, body: Record<string, string>) =>
  request(app.app).post("/admin/sessions/challenge").set("X-Forwarded-For", ip).send(body);

async function enrolledAccount() {
  const account = await createAccountWithSession(env);
  const enrolment = await enrolTotp(a, account.token, clock.now());
  // Two steps past the one the confirming code used, so that this step's and the previous step's
  // codes are both fresh.
  clock.advance(2 * STEP_MS);
  return { ...account, ...enrolment };
}

async function challengeFor(email: string, ip: string): Promise<string> {
  const res = await logIn(a, email, ip).expect(200);
  expect(res.body.session).toBeUndefined();
  expect(res.headers["set-cookie"]).toBeUndefined();
  return res.body.challenge.token as string;
}

describe("enrolment", () => {
  it("returns the otpauth URI and secret once, stores the secret only encrypted, and needs a code to turn on", async () => {
    const account = await createAccountWithSession(env);
    const begun = await request(a.app)
      .post("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD })
      .expect(200);
    expect(begun.headers["cache-control"]).toBe("no-store");
    const { secret, otpauth_uri: uri } = begun.body;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\/keyward:/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain(encodeURIComponent(account.email));

    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row?.totpEnabledAt).toBeNull();
    expect(row?.totpPendingSecret).not.toContain(secret);
    expect(openTotpSecret(Buffer.from(TEST_TOTP_KEY, "hex"), account.id, row?.totpPendingSecret ?? "")).toBe(
      secret,
    );

    await request(a.app)
      .post("/admin/me/totp/confirm")
      .set(bearer(account.token))
      .send({ code: "000000" })
      .expect(400);
    const confirmed = await request(b.app)
      .post("/admin/me/totp/confirm")
      .set(bearer(account.token))
      .send({ code: totpCodeAt(secret, clock.now()) })
      .expect(200);
    const codes: string[] = confirmed.body.recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const stored = await env.database.db
      .select()
      .from(recoveryCodes)
      .where(eq(recoveryCodes.accountId, account.id));
    expect(stored.map((r) => r.codeHash).sort()).toEqual(
      codes.map((c) => hashSecret(c.replace(/-/g, ""))).sort(),
    );

    const [after] = await env.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(after?.totpEnabledAt).not.toBeNull();
    expect(after?.totpSecret).not.toContain(secret);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    expect(events.map((e) => e.action)).toContain("totp.enabled");
  });

  it("ends the account's other sessions when asked, only once the code is right, and not otherwise", async () => {
    const begin = async () => {
      const account = await createAccountWithSession(env);
      const other = (await logIn(a, account.email, nextIp()).expect(201)).body.session.token as string;
      const begun = await request(a.app)
        .post("/admin/me/totp")
        .set(bearer(account.token))
        .send({ password: FIXTURE_PASSWORD })
        .expect(200);
      return { ...account, other, secret: begun.body.secret as string };
    };
    const confirm = (token: string, code: string, end?: boolean) =>
      request(a.app)
        .post("/admin/me/totp/confirm")
        .set(bearer(token))
        .send(end === undefined ? { code } : { code, end_other_sessions: end });

    const asked = await begin();
    await confirm(asked.token, "000000", true).expect(400);
    await request(b.app).get("/admin/me").set(bearer(asked.other)).expect(200); // a wrong code ends nothing
    await confirm(asked.token, totpCodeAt(asked.secret, clock.now()), true).expect(200);
    await request(b.app).get("/admin/me").set(bearer(asked.other)).expect(401);
    await request(b.app).get("/admin/me").set(bearer(asked.token)).expect(200);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, asked.id));
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["totp.enabled", "sessions.ended_others"]),
    );

    const notAsked = await begin();
    await confirm(notAsked.token, totpCodeAt(notAsked.secret, clock.now())).expect(200);
    await request(b.app).get("/admin/me").set(bearer(notAsked.other)).expect(200);
    clock.advance(2 * STEP_MS); // the codes used here are spent: later tests start on fresh steps
  });

  it("refuses a wrong password with 401, a second enrolment with 409, and a confirm without enrolment with 409", async () => {
    const account = await createAccountWithSession(env);
    const wrong = await request(a.app)
      .post("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: "not the password at all" })
      .expect(401);
    expect(wrong.body.error).toMatchObject({ code: "invalid_credentials", param: "password" });
    const notPending = await request(a.app)
      .post("/admin/me/totp/confirm")
      .set(bearer(account.token))
      .send({ code: "123456" });
    expect(notPending.status).toBe(409);
    expect(notPending.body.error.code).toBe("totp_not_pending");
    await enrolTotp(a, account.token, clock.now());
    const again = await request(a.app)
      .post("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("totp_already_enabled");
  });

  it("is refused with a clear error when the server has no TOTP_ENCRYPTION_KEY", async () => {
    const account = await createAccountWithSession(env);
    const res = await request(noKey.app)
      .post("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD });
    expect(res.status).toBe(501);
    expect(res.body.error).toMatchObject({ type: "api_error", code: "totp_not_configured" });
    expect(res.body.error.message).toContain("TOTP_ENCRYPTION_KEY");
  });

  it("binds the sealed secret to its account: copied onto another account it does not open", () => {
    const key = Buffer.from(TEST_TOTP_KEY, "hex");
    const sealed = sealTotpSecret(key, "acc_one", "JBSWY3DPEHPK3PXP");
    expect(openTotpSecret(key, "acc_one", sealed)).toBe("JBSWY3DPEHPK3PXP");
    expect(openTotpSecret(key, "acc_two", sealed)).toBeNull();
    expect(openTotpSecret(Buffer.alloc(32, 7), "acc_one", sealed)).toBeNull();
  });
});

describe("login with a second factor", () => {
  it("gives a challenge, not a session, and a code of the current step makes a session on another process", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const res = await logIn(a, account.email, ip).expect(200);
    expect(res.body.challenge.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(res.body.challenge.expires_at).getTime()).toBe(clock.now().getTime() + 5 * 60_000);
    // The challenge token is no session.
    await request(a.app).get("/admin/me").set(bearer(res.body.challenge.token)).expect(401);

    const done = await answer(b, ip, {
      token: res.body.challenge.token,
      code: totpCodeAt(account.secret, clock.now()),
    }).expect(201);
    expect(done.headers["cache-control"]).toBe("no-store");
    expect(done.body.account.id).toBe(account.id);
    await request(a.app).get("/admin/me").set(bearer(done.body.session.token)).expect(200);
    // Used: the same challenge cannot make a second session.
    clock.advance(STEP_MS);
    const reused = await answer(a, ip, {
      token: res.body.challenge.token,
      code: totpCodeAt(account.secret, clock.now()),
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe("invalid_token");
  });

  it("accepts a code of the previous step, refuses one two steps old", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const previous = totpCodeAt(account.secret, new Date(clock.now().getTime() - STEP_MS));
    await answer(a, ip, { token: await challengeFor(account.email, ip), code: previous }).expect(201);

    clock.advance(3 * STEP_MS);
    const old = totpCodeAt(account.secret, new Date(clock.now().getTime() - 2 * STEP_MS));
    const res = await answer(a, ip, { token: await challengeFor(account.email, ip), code: old });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "invalid_code",
      param: "code",
      type: "invalid_request_error",
    });
  });

  it("refuses a code replayed within its window, on the other process too", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const code = totpCodeAt(account.secret, clock.now());
    await answer(a, ip, { token: await challengeFor(account.email, ip), code }).expect(201);
    const replay = await answer(b, ip, { token: await challengeFor(account.email, ip), code });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_code");
    // A code of an older step than one already used is refused as well.
    const older = totpCodeAt(account.secret, new Date(clock.now().getTime() - STEP_MS));
    expect((await answer(a, ip, { token: await challengeFor(account.email, ip), code: older })).status).toBe(
      400,
    );
    clock.advance(STEP_MS);
    await answer(a, ip, {
      token: await challengeFor(account.email, ip),
      code: totpCodeAt(account.secret, clock.now()),
    }).expect(201);
  });

  it("takes each recovery code once, and records its use", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const [first, second] = account.recoveryCodes as [string, string];
    await answer(a, ip, {
      token: await challengeFor(account.email, ip),
      recovery_code: first.toUpperCase(),
    }).expect(201);
    const again = await answer(b, ip, { token: await challengeFor(account.email, ip), recovery_code: first });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: "invalid_code", param: "recovery_code" });
    await answer(b, ip, {
      token: await challengeFor(account.email, ip),
      recovery_code: second.replace(/-/g, ""),
    }).expect(201);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    expect(events.filter((e) => e.action === "recovery_code.used")).toHaveLength(2);
    expect(events.filter((e) => e.action === "second_factor.failed")).toHaveLength(1);
  });

  it("lets a challenge expire after 5 minutes", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const token = await challengeFor(account.email, ip);
    clock.advance(5 * 60_000);
    const res = await answer(a, ip, { token, code: totpCodeAt(account.secret, clock.now()) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_token", param: "token" });
  });

  it("spends a challenge after 5 wrong codes, even for the right code after them", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const token = await challengeFor(account.email, ip);
    for (let i = 0; i < 5; i++) {
      expect((await answer(a, ip, { token, code: "000000" })).body.error.code).toBe("invalid_code");
    }
    const res = await answer(b, ip, { token, code: totpCodeAt(account.secret, clock.now()) });
    expect(res.body.error.code).toBe("invalid_token");
  });

  it("counts wrong codes towards the login limits: passwords and codes together stop at 10 from one address", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    // Each round: a right password (counts, clears nothing while a code is owed) and a wrong code.
    for (let i = 0; i < 5; i++) {
      const token = await challengeFor(account.email, ip);
      expect((await answer(a, ip, { token, code: "111111" })).status).toBe(400);
    }
    const blocked = await logIn(a, account.email, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    // The owner, elsewhere, is not locked out, and a right code clears only its own address's count.
    const other = nextIp();
    await answer(a, other, {
      token: await challengeFor(account.email, other),
      code: totpCodeAt(account.secret, clock.now()),
    }).expect(201);
    expect((await logIn(b, account.email, ip)).status).toBe(429);
  });

  it("records failed logins with their address, and never the password", async () => {
    const account = await createAccountWithSession(env);
    const ip = nextIp();
    await logIn(a, account.email, ip, "a wrong guess, typed twice").expect(401);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    const failed = events.find((e) => e.action === "login.failed");
    expect(failed?.ip).toBe(ip);
    expect(JSON.stringify(events)).not.toContain("a wrong guess");
    const listed = await request(a.app).get("/admin/audit-events").set(bearer(account.token)).expect(200);
    expect(listed.body.data[0]).toMatchObject({ action: "login.failed", ip });
  });
});

describe("turning it off", () => {
  it("needs the password (401) and a code (400); then logins need the password only", async () => {
    const account = await enrolledAccount();
    const code = () => totpCodeAt(account.secret, clock.now());
    const wrongPassword = await request(a.app)
      .delete("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: "not the password at all", code: code() });
    expect(wrongPassword.status).toBe(401);
    const wrongCode = await request(a.app)
      .delete("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD, code: "999999" });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body.error.code).toBe("invalid_code");
    await request(b.app)
      .delete("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD, code: code() })
      .expect(204);

    await logIn(a, account.email, nextIp()).expect(201);
    const codes = await env.database.db
      .select()
      .from(recoveryCodes)
      .where(eq(recoveryCodes.accountId, account.id));
    expect(codes).toEqual([]);
    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row).toMatchObject({ totpSecret: null, totpEnabledAt: null });
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    expect(events.map((e) => e.action)).toContain("totp.disabled");
  });

  it("accepts a recovery code instead of the app's code", async () => {
    const account = await enrolledAccount();
    await request(a.app)
      .delete("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD, code: account.recoveryCodes[3] })
      .expect(204);
  });
});
