import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../src/db/schema.js";
import { processEmailJob } from "../src/email/email-jobs.js";
import { manualClock } from "../src/time/clock.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { type DeliveredEmail, type ResendStub, startResendStub } from "./support/resend-stub.js";
import { waitFor } from "./support/wait-for.js";

// An email change end to end: the web process takes the request, the worker (the real processor)
// sends a link to the new address and a notice to the old one through the Resend stand-in, and the
// link's token confirms the change on another web process.

let env: TestEnv;
let stub: ResendStub;
let a: TestApp;
let b: TestApp;
const clock = manualClock(new Date("2026-06-03T09:00:00Z"));

beforeAll(async () => {
  stub = await startResendStub();
  env = await createTestEnv({ TRUST_PROXY: "1", RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: stub.url });
  a = await env.makeApp({ clock });
  b = await env.makeApp({ clock });
  await env.makeWorker({ email: processEmailJob }, { clock });
});
afterAll(async () => {
  await env.close();
  await stub.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const askChange = (app: TestApp, token: string, body: Record<string, string>) =>
  request(app.app).post("/admin/me/email").set(bearer(token)).set("X-Forwarded-For", "192.0.2.40").send(body);
const logIn = (email: string) =>
  request(a.app)
    .post("/admin/sessions")
    .set("X-Forwarded-For", "192.0.2.41")
    .send({ email, password: FIXTURE_PASSWORD });

const emailTo = (to: string, subject: RegExp) =>
  waitFor(`an email to ${to} matching ${subject}`, () =>
    stub.delivered.find((e) => e.to === to && subject.test(e.subject)),
  );

function confirmTokenOf(email: DeliveredEmail): string {
  const match = /http:\/\/console\.test\/confirm-email\?token=([A-Za-z0-9_-]+)/.exec(email.text);
  if (!match?.[1]) throw new Error(`no confirm-email link in: ${email.text}`);
  expect(email.html).toContain(`http://console.test/confirm-email?token=${match[1]}`);
  return match[1];
}

describe("email change", () => {
  it("sends a link to the new address and a notice without any link to the old; the old stays until confirmed", async () => {
    const account = await createAccountWithSession(env);
    const newEmail = `moved-${account.id.slice(-8)}@example.org`;
    const res = await askChange(a, account.token, { email: newEmail, password: FIXTURE_PASSWORD }).expect(
      202,
    );
    expect(res.body).toEqual({});

    const link = await emailTo(newEmail, /Confirm your new email/);
    const notice = await emailTo(account.email, /being changed/);
    expect(notice.text).not.toMatch(/https?:\/\//);
    expect(notice.html).not.toContain("<a ");
    expect(notice.text).toContain(`m***@example.org`);
    const token = confirmTokenOf(link);

    // Until confirmed: the account is still the old address, and the new one logs nobody in.
    const me = await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    expect(me.body.account).toMatchObject({ email: account.email, pending_email: newEmail });
    await logIn(account.email).expect(201);
    await logIn(newEmail).expect(401);

    const confirmed = await request(b.app).post("/admin/me/email/confirm").send({ token }).expect(200);
    expect(confirmed.body.account).toMatchObject({
      id: account.id,
      email: newEmail,
      email_verified: true,
      pending_email: null,
    });
    await logIn(newEmail).expect(201);
    await logIn(account.email).expect(401);

    const again = await request(a.app).post("/admin/me/email/confirm").send({ token });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: "invalid_token", param: "token" });
    const actions = (
      await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, account.id))
    ).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["email.change_requested", "email.changed"]));
  });

  it("refuses a wrong password (401), a malformed address and the current one (400), and changes nothing", async () => {
    const account = await createAccountWithSession(env);
    const before = stub.requests.length;
    const wrong = await askChange(a, account.token, {
      email: "x@example.org",
      password: "not the password at all",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const bad = await askChange(a, account.token, { email: "not an address", password: FIXTURE_PASSWORD });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "validation_failed", param: "email" });
    const same = await askChange(a, account.token, {
      email: account.email.toUpperCase(),
      password: FIXTURE_PASSWORD,
    });
    expect(same.status).toBe(400);
    expect(same.body.error).toMatchObject({
      code: "validation_failed",
      param: "email",
      message: "email: is already the account's email address",
    });
    const me = await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    expect(me.body.account.pending_email).toBeNull();
    expect(stub.requests.length).toBe(before);
  });

  it("a later request makes the earlier link useless", async () => {
    const account = await createAccountWithSession(env);
    const first = `first-${account.id.slice(-8)}@example.org`;
    const second = `second-${account.id.slice(-8)}@example.org`;
    await askChange(a, account.token, { email: first, password: FIXTURE_PASSWORD }).expect(202);
    const firstToken = confirmTokenOf(await emailTo(first, /Confirm/));
    await askChange(a, account.token, { email: second, password: FIXTURE_PASSWORD }).expect(202);
    const secondToken = confirmTokenOf(await emailTo(second, /Confirm/));
    const stale = await request(a.app).post("/admin/me/email/confirm").send({ token: firstToken });
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe("invalid_token");
    const done = await request(a.app)
      .post("/admin/me/email/confirm")
      .send({ token: secondToken })
      .expect(200);
    expect(done.body.account.email).toBe(second);
  });

  it("answers alike for an address another account has, and mails that address no link", async () => {
    const account = await createAccountWithSession(env);
    const other = await createAccount(env);
    await askChange(a, account.token, { email: other.email, password: FIXTURE_PASSWORD }).expect(202);
    const notice = await emailTo(other.email, /not possible/);
    expect(notice.text).not.toMatch(/token=/);
    await emailTo(account.email, /being changed/);
    const me = await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    expect(me.body.account.email).toBe(account.email);
  });
});
