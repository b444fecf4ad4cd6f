import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintEmailChangeToken } from "../src/accounts/email-change.js";
import { mintEmailToken } from "../src/accounts/email-tokens.js";
import { accounts } from "../src/db/schema.js";
import { manualClock } from "../src/time/clock.js";
import { totpCodeAt } from "../src/totp/totp-codes.js";
import { createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { enrolTotp, TEST_TOTP_KEY } from "./support/second-factor.js";

// Links already emailed, and login challenges already opened, when the password or the email changes.
// A security review saw a reset link minted before POST /admin/me/password still work afterwards (204):
// it ended the owner's sessions and set the password. The tokens are minted here as the worker mints
// them (only a hash stored); what is under test is what the web process accepts afterwards.

let env: TestEnv;
let a: TestApp;
const clock = manualClock(new Date("2026-06-07T12:00:00Z"));
const STEP_MS = 30_000;
const NEW_PASSWORD = "an entirely new passphrase";

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1", TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY });
  a = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `192.0.2.${++ipCounter}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const post = (path: string, body: object, token?: string) => {
  const req = request(a.app).post(path).set("X-Forwarded-For", nextIp());
  return (token ? req.set(bearer(token)) : req).send(body);
};

const resetLink = (accountId: string) =>
  mintEmailToken(env.database.db, {
    accountId,
    purpose: "reset_password",
    requestId: "job-1",
    now: clock.now(),
  });
const useResetLink = (token: string, password = "what the link's holder chose") =>
  post("/admin/accounts/password-reset/confirm", { token, password });

/** An email change asked for through the API, and the link the worker would send the new address. */
async function pendingEmailChange(account: { id: string; token: string }): Promise<string> {
  const newEmail = `taken-over-${account.id.slice(-8)}@example.org`;
  await post("/admin/me/email", { email: newEmail, password: FIXTURE_PASSWORD }, account.token).expect(202);
  return mintEmailChangeToken(env.database.db, {
    accountId: account.id,
    newEmail,
    requestId: "job-2",
    now: clock.now(),
  });
}

/** An account with two-factor on, and a login challenge opened with its (current) password. */
async function withOpenChallenge() {
  const account = await createAccountWithSession(env);
  const { secret } = await enrolTotp(a, account.token, clock.now());
  clock.advance(2 * STEP_MS);
  const login = await post("/admin/sessions", { email: account.email, password: FIXTURE_PASSWORD }).expect(
    200,
  );
  return { ...account, secret, challenge: login.body.challenge.token as string };
}

async function expectRetired(
  account: { id: string; token: string; secret?: string; challenge?: string },
  links: {
    reset?: string;
    change?: string;
  },
) {
  if (links.reset) {
    const res = await useResetLink(links.reset).expect(400);
    expect(res.body.error.code).toBe("invalid_token");
  }
  if (links.change) {
    const res = await post("/admin/me/email/confirm", { token: links.change }).expect(400);
    expect(res.body.error.code).toBe("invalid_token");
    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row?.pendingEmail).toBeNull();
  }
  if (account.challenge && account.secret) {
    const res = await post("/admin/sessions/challenge", {
      token: account.challenge,
      code: totpCodeAt(account.secret, clock.now()),
    }).expect(400);
    expect(res.body.error.code).toBe("invalid_token");
  }
}

describe("a password change", () => {
  it("retires the account's unused reset links: one minted before cannot set the password or end sessions", async () => {
    const account = await createAccountWithSession(env);
    const link = await resetLink(account.id);
    await post(
      "/admin/me/password",
      { current_password: FIXTURE_PASSWORD, new_password: NEW_PASSWORD },
      account.token,
    ).expect(204);
    await expectRetired(account, { reset: link });
    await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    await post("/admin/sessions", { email: account.email, password: NEW_PASSWORD }).expect(201);
  });

  it("ends a pending email change and the login challenges the old password opened", async () => {
    const account = await withOpenChallenge();
    const change = await pendingEmailChange(account);
    await post(
      "/admin/me/password",
      { current_password: FIXTURE_PASSWORD, new_password: NEW_PASSWORD },
      account.token,
    ).expect(204);
    await expectRetired(account, { change });
    const me = await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    expect(me.body.account).toMatchObject({ email: account.email, pending_email: null });
  });
});

describe("a password reset", () => {
  it("retires the other reset links, a pending email change and open login challenges", async () => {
    const account = await withOpenChallenge();
    const [used, other] = [await resetLink(account.id), await resetLink(account.id)];
    const change = await pendingEmailChange(account);
    await useResetLink(used, NEW_PASSWORD).expect(204);
    await expectRetired(account, { reset: other, change });
    await request(a.app).get("/admin/me").set(bearer(account.token)).expect(401);
  });
});

describe("an email change", () => {
  it("retires reset links sent to the old address", async () => {
    const account = await createAccountWithSession(env);
    const link = await resetLink(account.id);
    const change = await pendingEmailChange(account);
    await post("/admin/me/email/confirm", { token: change }).expect(200);
    await expectRetired(account, { reset: link });
    await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
    await post("/admin/sessions", { email: account.email, password: FIXTURE_PASSWORD }).expect(401);
  });
});
