import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../src/db/schema.js";
import { processEmailJob } from "../src/email/email-jobs.js";
import { manualClock } from "../src/time/clock.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub, tokenFromEmail } from "./support/resend-stub.js";
import { waitFor } from "./support/wait-for.js";

// End to end through the worker: the web queues, the worker sends through the Resend stand-in, and the
// test reads the token out of the recorded email, as a user would click it.

let env: TestEnv;
let stub: ResendStub;
let web: TestApp;
const clock = manualClock(new Date("2026-03-01T10:00:00Z"));
const PASSWORD = "a perfectly fine passphrase";

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1" });
  stub = await startResendStub();
  const config = env.configWith({ RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: stub.url });
  web = await env.makeApp({ config, clock });
  await env.makeWorker({ email: processEmailJob }, { config, clock });
});
afterAll(async () => {
  await env.close();
  await stub.close();
});

let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;

async function signUp(email: string, password = PASSWORD) {
  return request(web.app)
    .post("/admin/accounts")
    .set("X-Forwarded-For", nextIp())
    .send({ email, password })
    .expect(201);
}

async function emailTo(address: string, page: "verify-email" | "reset-password", nth = 1) {
  // Counted among the emails with this page's link: a sign-in notice may arrive in between.
  const email = await waitFor(
    `${page} email ${nth} to ${address}`,
    () => stub.delivered.filter((e) => e.to === address && e.text.includes(`/${page}?token=`))[nth - 1],
  );
  return tokenFromEmail(email, page);
}

function logIn(email: string, password = PASSWORD) {
  return request(web.app).post("/admin/sessions").set("X-Forwarded-For", nextIp()).send({ email, password });
}

describe("signup, verification and login, through the worker", () => {
  it("signs up, verifies from the emailed link, logs in, reads me, logs out; the old session is refused", async () => {
    const signup = await signUp("  Flow.User@Example.com ");
    expect(signup.body.account).toMatchObject({ email: "Flow.User@Example.com", email_verified: false });

    const token = await emailTo("Flow.User@Example.com", "verify-email");
    const sent = stub.delivered.find((e) => e.to === "Flow.User@Example.com");
    expect(sent?.text).toContain(`http://console.test/verify-email?token=${token}`);
    expect(sent?.idempotencyKey).toMatch(/^verification-email\//);
    expect(stub.requests.at(-1)?.authorization).toBe("Bearer re_test_key");

    const verified = await request(web.app).post("/admin/accounts/verify").send({ token }).expect(200);
    expect(verified.body.account).toMatchObject({ id: signup.body.account.id, email_verified: true });

    const login = await logIn("flow.user@example.com").expect(201);
    const sessionToken: string = login.body.session.token;
    const me = await request(web.app)
      .get("/admin/me")
      .set("Authorization", `Bearer ${sessionToken}`)
      .expect(200);
    expect(me.body).toEqual({
      account: verified.body.account,
      limits: { requests_per_minute: 60, tokens_per_minute: 40_000 },
    });

    await request(web.app)
      .delete("/admin/sessions/current")
      .set("Authorization", `Bearer ${sessionToken}`)
      .expect(204);
    const after = await request(web.app)
      .get("/admin/me")
      .set("Authorization", `Bearer ${sessionToken}`)
      .expect(401);
    expect(after.body.error.code).toBe("session_required");
    // Neither the password nor a token reached any log line of the web process or the worker.
    for (const secret of [PASSWORD, token, sessionToken]) expect(env.logs.text).not.toContain(secret);
    expect(env.logs.text).toContain("email sent");
  });

  it("refuses a verification token that was already used, and one that expired", async () => {
    await signUp("twice@example.com");
    const used = await emailTo("twice@example.com", "verify-email");
    await request(web.app).post("/admin/accounts/verify").send({ token: used }).expect(200);
    const again = await request(web.app).post("/admin/accounts/verify").send({ token: used }).expect(400);
    expect(again.body.error).toMatchObject({ code: "invalid_token", type: "invalid_request_error" });

    await signUp("late@example.com");
    const late = await emailTo("late@example.com", "verify-email");
    clock.advance(24 * 3600_000 + 1000);
    const expired = await request(web.app).post("/admin/accounts/verify").send({ token: late }).expect(400);
    expect(expired.body.error.code).toBe("invalid_token");
    await logIn("late@example.com").expect(403);

    // A new link can be asked for, and works.
    await request(web.app)
      .post("/admin/accounts/verification-email")
      .set("X-Forwarded-For", nextIp())
      .send({ email: "LATE@example.com" })
      .expect(202, {});
    const fresh = await emailTo("late@example.com", "verify-email", 2);
    await request(web.app).post("/admin/accounts/verify").send({ token: fresh }).expect(200);
    await logIn("late@example.com").expect(201);
  });
});

describe("password reset, through the worker", () => {
  it("resets with the emailed link, ends every session, and the link works only once", async () => {
    await signUp("reset@example.com");
    const verifyToken = await emailTo("reset@example.com", "verify-email");
    await request(web.app).post("/admin/accounts/verify").send({ token: verifyToken }).expect(200);
    const s1 = (await logIn("reset@example.com").expect(201)).body.session.token;
    const s2 = (await logIn("reset@example.com").expect(201)).body.session.token;

    await request(web.app)
      .post("/admin/accounts/password-reset")
      .set("X-Forwarded-For", nextIp())
      .send({ email: "reset@example.com" })
      .expect(202, {});
    const resetToken = await emailTo("reset@example.com", "reset-password");
    const resetEmail = stub.delivered.find((e) => e.to === "reset@example.com" && /reset/i.test(e.subject));
    expect(resetEmail?.text).toContain("http://console.test/reset-password?token=");

    const weak = await request(web.app)
      .post("/admin/accounts/password-reset/confirm")
      .send({ token: resetToken, password: "short" })
      .expect(400);
    expect(weak.body.error).toMatchObject({
      code: "validation_failed",
      param: "password",
      message: "password: must be at least 12 characters",
    });

    const newPassword = "a brand new passphrase";
    await request(web.app)
      .post("/admin/accounts/password-reset/confirm")
      .send({ token: resetToken, password: newPassword })
      .expect(204);
    for (const token of [s1, s2]) {
      await request(web.app).get("/admin/me").set("Authorization", `Bearer ${token}`).expect(401);
    }
    const reused = await request(web.app)
      .post("/admin/accounts/password-reset/confirm")
      .send({ token: resetToken, password: "yet another passphrase" })
      .expect(400);
    expect(reused.body.error.code).toBe("invalid_token");

    const oldLogin = await logIn("reset@example.com").expect(401);
    expect(oldLogin.body.error.code).toBe("invalid_credentials");
    const login = await logIn("reset@example.com", newPassword).expect(201);
    const actions = (await env.database.db.select().from(auditEvents))
      .filter((e) => e.accountId === login.body.account.id)
      .map((e) => e.action);
    expect(actions).toContain("password.reset");
  });

  it("refuses a reset token after its hour", async () => {
    await signUp("slow-reset@example.com");
    await emailTo("slow-reset@example.com", "verify-email");
    await request(web.app)
      .post("/admin/accounts/password-reset")
      .set("X-Forwarded-For", nextIp())
      .send({ email: "slow-reset@example.com" })
      .expect(202);
    const token = await emailTo("slow-reset@example.com", "reset-password");
    clock.advance(3600_000 + 1000);
    const res = await request(web.app)
      .post("/admin/accounts/password-reset/confirm")
      .send({ token, password: "a brand new passphrase" })
      .expect(400);
    expect(res.body.error.code).toBe("invalid_token");
  });
});

describe("delivery through Resend failures", () => {
  it("retries after a Resend 500 and delivers exactly one email", async () => {
    stub.failNext(1);
    const before = stub.requests.length;
    await signUp("flaky@example.com");
    const token = await emailTo("flaky@example.com", "verify-email");
    const attempts = stub.requests.slice(before).filter((r) => r.body.to === "flaky@example.com");
    expect(attempts.map((r) => r.status)).toEqual([500, 200]);
    expect(attempts[0]?.idempotencyKey).toBe(attempts[1]?.idempotencyKey);
    expect(stub.delivered.filter((e) => e.to === "flaky@example.com")).toHaveLength(1);
    await request(web.app).post("/admin/accounts/verify").send({ token }).expect(200);
  });
});
