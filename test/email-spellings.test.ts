import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAbuseLimits } from "../src/accounts/abuse-limits.js";
import { requestPasswordReset, requestVerificationEmail } from "../src/email/email-requests.js";
import { connectRedis } from "../src/redis/client.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// Spellings of an address that JavaScript and PostgreSQL lower-case differently. "İ" (U+0130) is "i"
// to PostgreSQL's lower() but "i" and a combining dot to toLowerCase(): when the limits keyed on the
// latter and the look-up used the former, each such spelling of an account's email found the account
// under limits of its own (2^n of them for n letters i), and logged in past the 429 of the plain one.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1" });
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `198.51.100.${++ipCounter}`;
const logIn = (email: string, password: string, ip: string) =>
  request(web.app).post("/admin/sessions").set("X-Forwarded-For", ip).send({ email, password });
/** The address with its first "i" written as "İ", which PostgreSQL's lower() turns back into "i". */
const dotted = (email: string) => email.replace("i", "\u0130");

async function queuedFor(accountId: string, name: string) {
  const jobs = await web.deps.emailQueue.getJobs(["waiting", "delayed", "active", "completed", "failed"]);
  return jobs.filter((j) => j.name === name && (j.data as { accountId?: string }).accountId === accountId);
}

describe("an account's email spelt with İ", () => {
  it("does not log in to the account, not even once the plain spelling is blocked", async () => {
    const victim = await createAccount(env, { email: `victim-${ipCounter}@example.com` });
    expect(dotted(victim.email)).not.toBe(victim.email);

    const fresh = await logIn(dotted(victim.email), FIXTURE_PASSWORD, nextIp());
    expect(fresh.status).toBe(401);
    expect(fresh.body.error.code).toBe("invalid_credentials");
    expect(fresh.headers["set-cookie"]).toBeUndefined();

    const ip = nextIp();
    for (let i = 0; i < 10; i++) await logIn(victim.email, "not the password, guess", ip).expect(401);
    await logIn(victim.email, "not the password, guess", ip).expect(429);
    // Before: 401 for wrong passwords here, and 201 with a session for the right one.
    const dottedRight = await logIn(dotted(victim.email), FIXTURE_PASSWORD, ip);
    expect(dottedRight.status).not.toBe(201);
    expect(dottedRight.body.session).toBeUndefined();
    // The owner's own spelling, in another case, is the same key: still blocked from that address.
    await logIn(victim.email.toUpperCase(), FIXTURE_PASSWORD, ip).expect(429);
    await logIn(victim.email.toUpperCase(), FIXTURE_PASSWORD, nextIp()).expect(201);
  });

  it("sends no reset or verification email to the account, however many spellings are tried", async () => {
    const victim = await createAccount(env, { email: `inbox-${ipCounter}@example.com`, verified: false });
    const redis = connectRedis(env.config);
    try {
      const deps = {
        db: env.database.db,
        emailQueue: web.deps.emailQueue,
        limits: createAbuseLimits(redis, `${env.prefix}:spellings`),
        logger: env.logger,
      };
      // "inbox-N@example.com" has one "i": past the plain spelling's 5, the dotted one found the
      // account under a fresh count of its own. It must find no account at all.
      for (let i = 0; i < 5; i++) {
        const ip = nextIp();
        expect((await requestPasswordReset(deps, { email: victim.email, ip })).ok).toBe(true);
        expect((await requestVerificationEmail(deps, { email: victim.email, ip })).ok).toBe(true);
      }
      const spelt = dotted(victim.email);
      for (let i = 0; i < 3; i++) {
        const ip = nextIp();
        expect(await requestPasswordReset(deps, { email: spelt, ip })).toMatchObject({ ok: true });
        expect(await requestVerificationEmail(deps, { email: spelt, ip })).toMatchObject({ ok: true });
      }
      expect(await queuedFor(victim.id, "password-reset-email")).toHaveLength(5);
      expect(await queuedFor(victim.id, "verification-email")).toHaveLength(5);
    } finally {
      await redis.quit();
    }
  });

  it("is refused as an address wherever one is given to be stored or mailed (400)", async () => {
    const owner = await createAccountWithSession(env, { email: `fixed-${ipCounter}@example.com` });
    const spelt = dotted(owner.email);
    const refusals = await Promise.all([
      request(web.app).post("/admin/accounts").set("X-Forwarded-For", nextIp()).send({
        email: spelt,
        password: "a perfectly fine passphrase",
      }),
      request(web.app).post("/admin/accounts/password-reset").send({ email: spelt }),
      request(web.app).post("/admin/accounts/verification-email").send({ email: spelt }),
      request(web.app)
        .post("/admin/me/email")
        .set("Authorization", `Bearer ${owner.token}`)
        .send({ email: dotted("someone-i@example.com"), password: FIXTURE_PASSWORD }),
    ]);
    for (const res of refusals) {
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param: "email" });
    }
  });
});
