import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, apiKeys, auditEvents, emailTokens, recoveryCodes, sessions } from "../src/db/schema.js";
import { processEmailJob } from "../src/email/email-jobs.js";
import { manualClock } from "../src/time/clock.js";
import { totpCodeAt } from "../src/totp/totp-codes.js";
import { createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub } from "./support/resend-stub.js";
import { enrolTotp, TEST_TOTP_KEY } from "./support/second-factor.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// Deleting an account, on two web processes that both hold its keys in their caches: the keys are
// refused by both on the very next request, the sessions end, the personal data is gone, the audit
// trail of the deletion stays without it, and a confirmation email goes to the address it had.

let env: TestEnv;
let resend: ResendStub;
let upstream: UpstreamStub;
let a: TestApp;
let b: TestApp;
const clock = manualClock(new Date("2026-06-04T09:00:00Z"));

beforeAll(async () => {
  resend = await startResendStub();
  upstream = await startUpstreamStub();
  env = await createTestEnv({
    TRUST_PROXY: "1",
    TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY,
    RESEND_API_KEY: "re_test_key",
    RESEND_BASE_URL: resend.url,
    UPSTREAM_URL: upstream.url,
  });
  a = await env.makeApp({ clock });
  b = await env.makeApp({ clock });
  await env.makeWorker({ email: processEmailJob }, { clock });
});
afterAll(async () => {
  await env.close();
  await resend.close();
  await upstream.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const models = (app: TestApp, key: string) => request(app.app).get("/v1/models").set("X-API-Key", key);
const deleteMe = (app: TestApp, token: string, body: Record<string, string>) =>
  request(app.app).delete("/admin/me").set(bearer(token)).set("X-Forwarded-For", "192.0.2.60").send(body);

async function createKey(token: string, name: string): Promise<string> {
  const res = await request(a.app).post("/admin/keys").set(bearer(token)).send({ name }).expect(201);
  return res.body.secret;
}

describe("DELETE /admin/me", () => {
  it("revokes every key on every process at once, ends sessions, removes personal data and keeps an anonymous trail", async () => {
    const account = await createAccountWithSession(env);
    const keys = [await createKey(account.token, "Alice's laptop"), await createKey(account.token, "CI")];
    for (const key of keys) {
      await models(a, key).expect(200);
      await models(b, key).expect(200);
    }
    const second = await request(b.app)
      .post("/admin/sessions")
      .set("X-Forwarded-For", "192.0.2.61")
      .set("User-Agent", "curl/8.5.0")
      .send({ email: account.email, password: FIXTURE_PASSWORD })
      .expect(201);

    await deleteMe(a, account.token, { password: FIXTURE_PASSWORD }).expect(204);

    for (const key of keys) {
      expect((await models(b, key)).status).toBe(401);
      expect((await models(a, key)).status).toBe(401);
    }
    await request(b.app).get("/admin/me").set(bearer(second.body.session.token)).expect(401);
    await request(a.app).get("/admin/me").set(bearer(account.token)).expect(401);
    const login = await request(a.app)
      .post("/admin/sessions")
      .send({ email: account.email, password: FIXTURE_PASSWORD })
      .expect(401);
    expect(login.body.error.code).toBe("invalid_credentials");

    const db = env.database.db;
    const [row] = await db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row?.email).toBe(`deleted-${account.id}@deleted.invalid`);
    expect(row?.passwordHash).not.toMatch(/argon2/);
    expect(row?.deletedAt).not.toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.accountId, account.id))).toEqual([]);
    expect(await db.select().from(emailTokens).where(eq(emailTokens.accountId, account.id))).toEqual([]);
    const keyRows = await db.select().from(apiKeys).where(eq(apiKeys.accountId, account.id));
    expect(keyRows.every((k) => k.revokedAt !== null && k.name === "(deleted)")).toBe(true);
    const events = await db.select().from(auditEvents).where(eq(auditEvents.accountId, account.id));
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["key.created", "session.created", "account.deleted"]),
    );
    expect(events.every((e) => e.ip === null && e.userAgent === null)).toBe(true);
    expect(JSON.stringify([row, events, keyRows])).not.toContain(account.email);

    const confirmation = await waitFor("the confirmation email", () =>
      resend.delivered.find((e) => e.to === account.email && /deleted/.test(e.subject)),
    );
    expect(confirmation.text).toContain("API keys no longer work");
    expect(confirmation.html).toContain("<p>");

    // The address is free again: it can sign up anew.
    await request(a.app)
      .post("/admin/accounts")
      .set("X-Forwarded-For", "192.0.2.62")
      .send({ email: account.email, password: "a brand new passphrase" })
      .expect(201);
  });

  it("refuses a wrong password with 401 and deletes nothing", async () => {
    const account = await createAccountWithSession(env);
    const key = await createKey(account.token, "k");
    const res = await deleteMe(a, account.token, { password: "not the password at all" });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "invalid_credentials", param: "password" });
    await models(b, key).expect(200);
    await request(a.app).get("/admin/me").set(bearer(account.token)).expect(200);
  });

  it("with a second factor on, needs a code: none or a wrong one is 400 invalid_code, a right one deletes", async () => {
    const account = await createAccountWithSession(env);
    const { secret } = await enrolTotp(a, account.token, clock.now());
    clock.advance(60_000);
    const key = await createKey(account.token, "k");
    const attempts: Record<string, string>[] = [
      { password: FIXTURE_PASSWORD },
      { password: FIXTURE_PASSWORD, code: "000000" },
    ];
    for (const body of attempts) {
      const res = await deleteMe(a, account.token, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_code", param: "code" });
    }
    await models(b, key).expect(200);
    await deleteMe(b, account.token, {
      password: FIXTURE_PASSWORD,
      code: totpCodeAt(secret, clock.now()),
    }).expect(204);
    await models(a, key).expect(401);
    expect(
      await env.database.db.select().from(recoveryCodes).where(eq(recoveryCodes.accountId, account.id)),
    ).toEqual([]);
    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row).toMatchObject({ totpSecret: null, totpEnabledAt: null });
  });
});
