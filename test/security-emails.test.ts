import type { Job } from "bullmq";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processEmailJob } from "../src/email/email-jobs.js";
import { processSecurityEmailJob } from "../src/email/security-email-jobs.js";
import type { WorkerDeps } from "../src/jobs/job-processor.js";
import { manualClock } from "../src/time/clock.js";
import { totpCodeAt } from "../src/totp/totp-codes.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub } from "./support/resend-stub.js";
import { enrolTotp, TEST_TOTP_KEY } from "./support/second-factor.js";
import { waitFor } from "./support/wait-for.js";

// The account-security emails through the worker and the Resend stand-in: new sign-in from a new
// address (a setting, on by default), second factor on and off; plain text and HTML, sent once per
// job however often it runs. And, over everything these flows did, no secret in any log line.

let env: TestEnv;
let stub: ResendStub;
let web: TestApp;
let workerDeps: WorkerDeps;
const clock = manualClock(new Date("2026-06-05T09:00:00Z"));
const CHROME_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36";
// Every secret these tests handle, checked against the log at the end.
const secrets: string[] = [FIXTURE_PASSWORD, TEST_TOTP_KEY];

beforeAll(async () => {
  stub = await startResendStub();
  env = await createTestEnv({
    TRUST_PROXY: "1",
    TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY,
    RESEND_API_KEY: "re_test_key",
    RESEND_BASE_URL: stub.url,
  });
  web = await env.makeApp({ clock });
  workerDeps = (await env.makeWorker({ email: processEmailJob }, { clock })).deps;
});
afterAll(async () => {
  await env.close();
  await stub.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
async function logIn(email: string, ip: string): Promise<string> {
  const res = await request(web.app)
    .post("/admin/sessions")
    .set("X-Forwarded-For", ip)
    .set("User-Agent", CHROME_MAC)
    .send({ email, password: FIXTURE_PASSWORD })
    .expect(201);
  secrets.push(res.body.session.token);
  return res.body.session.token;
}
const signinEmailsTo = (to: string) =>
  stub.delivered.filter((e) => e.to === to && /New sign-in/.test(e.subject));

describe("new sign-in email", () => {
  it("is sent for a sign-in from a new address, not for the first sign-in nor a known address", async () => {
    const { email } = await createAccount(env);
    await logIn(email, "192.0.2.80");
    await logIn(email, "192.0.2.80");
    await logIn(email, "192.0.2.81");
    const sent = await waitFor("the sign-in email", () => signinEmailsTo(email)[0]);
    expect(sent.text).toContain("192.0.2.81");
    expect(sent.text).toContain("Chrome on macOS");
    expect(sent.html).toContain("<p>");
    await logIn(email, "192.0.2.81");
    // Queue drained: a later job for another account has been processed, so any email for this one would be there.
    const probe = await createAccount(env);
    await logIn(probe.email, "192.0.2.82");
    await logIn(probe.email, "192.0.2.83");
    await waitFor("the sign-in email", () => signinEmailsTo(probe.email)[0]);
    expect(signinEmailsTo(email)).toHaveLength(1);
  });

  it("can be turned off with PATCH /admin/me (new_signin_emails: false)", async () => {
    const account = await createAccountWithSession(env);
    const off = await request(web.app)
      .patch("/admin/me")
      .set(bearer(account.token))
      .send({ new_signin_emails: false })
      .expect(200);
    expect(off.body.account.new_signin_emails).toBe(false);
    await logIn(account.email, "192.0.2.90");
    await logIn(account.email, "192.0.2.91");
    const probe = await createAccount(env);
    await logIn(probe.email, "192.0.2.92");
    await logIn(probe.email, "192.0.2.93");
    await waitFor("the sign-in email", () => signinEmailsTo(probe.email)[0]);
    expect(signinEmailsTo(account.email)).toHaveLength(0);
  });
});

describe("second factor emails", () => {
  it("tells the account when two-factor authentication is turned on and off", async () => {
    const account = await createAccountWithSession(env);
    secrets.push(account.token);
    const { secret, recoveryCodes } = await enrolTotp(web, account.token, clock.now());
    secrets.push(secret, ...recoveryCodes);
    const on = await waitFor("the email", () =>
      stub.delivered.find((e) => e.to === account.email && /is on/.test(e.subject)),
    );
    expect(on.text).toContain("turned on");
    clock.advance(60_000);
    const challenge = await request(web.app)
      .post("/admin/sessions")
      .send({ email: account.email, password: FIXTURE_PASSWORD })
      .expect(200);
    secrets.push(challenge.body.challenge.token);
    const code = totpCodeAt(secret, clock.now());
    const session = await request(web.app)
      .post("/admin/sessions/challenge")
      .send({ token: challenge.body.challenge.token, code })
      .expect(201);
    secrets.push(session.body.session.token);
    clock.advance(60_000);
    await request(web.app)
      .delete("/admin/me/totp")
      .set(bearer(account.token))
      .send({ password: FIXTURE_PASSWORD, code: recoveryCodes[0] })
      .expect(204);
    const off = await waitFor("the email", () =>
      stub.delivered.find((e) => e.to === account.email && /is off/.test(e.subject)),
    );
    expect(off.html).toContain("turned off");
  });

  it("sends once when the same job runs twice", async () => {
    const account = await createAccount(env);
    const job = {
      name: "totp-enabled-email",
      id: "job-twice",
      data: { accountId: account.id },
      attemptsMade: 0,
    } as unknown as Job;
    const before = stub.delivered.length;
    await processSecurityEmailJob(workerDeps, job);
    await processSecurityEmailJob(workerDeps, job);
    expect(stub.delivered.length - before).toBe(1);
    expect(
      stub.requests.filter((r) => r.idempotencyKey === "totp-enabled-email/job-twice/totp-on"),
    ).toHaveLength(2);
  });
});

describe("logs", () => {
  it("hold no password, TOTP secret, recovery code, session or challenge token, nor the encryption key", () => {
    expect(env.logs.lines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      const leaked = env.logs.lines.find((line) => line.includes(secret));
      expect(leaked, `a log line holds a secret: ${leaked}`).toBeUndefined();
    }
  });
});
