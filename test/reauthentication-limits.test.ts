import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../src/time/clock.js";
import { totpCodeAt } from "../src/totp/totp-codes.js";
import { createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { enrolTotp, TEST_TOTP_KEY } from "./support/second-factor.js";

// The password asked again of a signed-in account (turning two-factor off, deleting the account,
// changing the password or the email) against the login's failure limits. With two-factor on, a right
// password must not clear the count of the email from an address: only an accepted code does, as at
// the login. Before, every right password there cleared it, so "right password, wrong code" could be
// repeated without end (seen: 14 x DELETE /admin/me/totp, 400 every time, never 429).

let env: TestEnv;
let a: TestApp;
const clock = manualClock(new Date("2026-06-05T08:00:00Z"));
const STEP_MS = 30_000;

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1", TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY });
  a = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;
const WRONG_CODE = "111111";

/** A request as the signed-in account, from `ip`. */
const as = (token: string, ip: string) => ({
  send: (method: "post" | "delete", path: string, body: object) =>
    request(a.app)
      [method](path)
      .set("Authorization", `Bearer ${token}`)
      .set("X-Forwarded-For", ip)
      .send(body),
});

async function enrolledAccount() {
  const account = await createAccountWithSession(env);
  const enrolment = await enrolTotp(a, account.token, clock.now());
  clock.advance(2 * STEP_MS);
  return { ...account, ...enrolment };
}

/** Statuses of `attempt` run `times` times in a row; each must be `expected` until the first 429. */
async function statusesUntilBlocked(
  times: number,
  expected: number,
  attempt: () => Promise<{ status: number }>,
) {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await attempt()).status);
  const blockedAt = statuses.indexOf(429);
  expect(blockedAt, `statuses: ${statuses.join(" ")}`).toBeGreaterThan(0);
  expect(statuses.slice(0, blockedAt).every((s) => s === expected)).toBe(true);
  expect(statuses.slice(blockedAt).every((s) => s === 429)).toBe(true);
  return blockedAt;
}

describe("re-authentication with two-factor on", () => {
  it("turning two-factor off with the right password and wrong codes reaches 429, as the login does", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const body = { password: FIXTURE_PASSWORD, code: WRONG_CODE };
    // Each wrong code counts; the right password neither adds nor clears: the 11th request is refused.
    const blockedAt = await statusesUntilBlocked(14, 400, () =>
      as(account.token, ip).send("delete", "/admin/me/totp", body),
    );
    expect(blockedAt).toBe(10);
    // The right code from the blocked address is refused too; from elsewhere it turns two-factor off.
    const right = { password: FIXTURE_PASSWORD, code: totpCodeAt(account.secret, clock.now()) };
    expect((await as(account.token, ip).send("delete", "/admin/me/totp", right)).status).toBe(429);
    expect((await as(account.token, nextIp()).send("delete", "/admin/me/totp", right)).status).toBe(204);
  });

  it("deleting the account with the right password and wrong codes reaches 429", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    await statusesUntilBlocked(14, 400, () =>
      as(account.token, ip).send("delete", "/admin/me", { password: FIXTURE_PASSWORD, code: WRONG_CODE }),
    );
  });

  it("a right password at a password or email change does not clear what wrong login codes counted", async () => {
    const account = await enrolledAccount();
    const ip = nextIp();
    const statuses: number[] = [];
    for (let round = 0; round < 6 && !statuses.includes(429); round++) {
      const login = await request(a.app)
        .post("/admin/sessions")
        .set("X-Forwarded-For", ip)
        .send({ email: account.email, password: FIXTURE_PASSWORD });
      statuses.push(login.status);
      if (login.status !== 200) break;
      const code = await request(a.app)
        .post("/admin/sessions/challenge")
        .set("X-Forwarded-For", ip)
        .send({ token: login.body.challenge.token, code: WRONG_CODE });
      statuses.push(code.status);
      const me = as(account.token, ip);
      // A new password the rules refuse: the current one is checked (and counted) all the same.
      const change = { current_password: FIXTURE_PASSWORD, new_password: "short" };
      statuses.push((await me.send("post", "/admin/me/password", change)).status);
      const email = {
        email: `elsewhere-${round}-${account.id.slice(-6)}@example.org`,
        password: FIXTURE_PASSWORD,
      };
      statuses.push((await me.send("post", "/admin/me/email", email)).status);
    }
    // Two attempts a round (the login's password, which only a right code clears, and its wrong code);
    // the right password at a change neither adds nor clears: the 11th attempt is refused, in round 5.
    expect(statuses.join(" ")).toBe(
      "200 400 400 202 200 400 400 202 200 400 400 202 200 400 400 202 200 400 429 429",
    );
  });

  it("a right password at a change asks no code, so changes alone never pile up to a 429", async () => {
    const account = await enrolledAccount();
    const me = as(account.token, nextIp());
    const change = { current_password: FIXTURE_PASSWORD, new_password: "short" };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await me.send("post", "/admin/me/password", change)).status);
    expect(statuses).toEqual(Array(12).fill(400));
  });
});

describe("re-authentication without two-factor", () => {
  it("a right current password still clears the count from that address", async () => {
    const account = await createAccountWithSession(env);
    const me = as(account.token, nextIp());
    const wrong = { current_password: "not the current one", new_password: "a brand new passphrase" };
    for (let i = 0; i < 9; i++) await me.send("post", "/admin/me/password", wrong).expect(401);
    await me
      .send("post", "/admin/me/password", { current_password: FIXTURE_PASSWORD, new_password: "short" })
      .expect(400);
    for (let i = 0; i < 9; i++) await me.send("post", "/admin/me/password", wrong).expect(401);
  });
});
