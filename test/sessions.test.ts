import argon2 from "argon2";
import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { accounts, auditEvents } from "../src/db/schema.js";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { REDIS_URL } from "./support/db-names.js";
import { createAccount, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { monitorRedis } from "./support/redis-monitor.js";
import { waitFor } from "./support/wait-for.js";

let env: TestEnv;
let web: TestApp;
const clock = manualClock(new Date("2026-04-01T08:00:00Z"));
const ORIGIN = "http://console.test";

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1" });
  web = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

let ipCounter = 0;
const nextIp = () => `198.51.100.${++ipCounter}`;

function logIn(email: string, password: string, ip = nextIp()) {
  return request(web.app).post("/admin/sessions").set("X-Forwarded-For", ip).send({ email, password });
}

const sessionCookieOf = (res: request.Response) =>
  ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("keyward_session="));

describe("login", () => {
  it("returns a session token, the account, no-store and an HttpOnly SameSite=Lax cookie", async () => {
    const { id, email } = await createAccount(env);
    const res = await logIn(email.toUpperCase(), FIXTURE_PASSWORD).expect(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body.session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(res.body.session.expires_at).getTime()).toBe(clock.now().getTime() + 168 * 3600_000);
    expect(res.body.account).toMatchObject({ id, email, email_verified: true, tier: "free" });
    expect(JSON.stringify(res.body)).not.toContain("argon2");
    const cookie = sessionCookieOf(res);
    expect(cookie).toContain(`keyward_session=${res.body.session.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);

    const audit = await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, id));
    expect(audit.map((a) => a.action)).toEqual(["session.created"]);
    expect(audit[0]?.ip).toMatch(/^198\.51\.100\./);
  });

  it("issues a new token at every login", async () => {
    const { email } = await createAccount(env);
    const a = await logIn(email, FIXTURE_PASSWORD).expect(201);
    const b = await logIn(email, FIXTURE_PASSWORD).expect(201);
    expect(a.body.session.token).not.toBe(b.body.session.token);
  });

  it("marks the cookie Secure when the public URL is https", async () => {
    const secure = await env.makeApp({ config: env.configWith({ PUBLIC_URL: "https://api.example.com" }) });
    const { email } = await createAccount(env);
    const res = await request(secure.app)
      .post("/admin/sessions")
      .send({ email, password: FIXTURE_PASSWORD })
      .expect(201);
    expect(sessionCookieOf(res)).toMatch(/; Secure/);
  });

  it("answers an unknown email and a wrong password with the same body after the same argon2 work", async () => {
    const { email } = await createAccount(env);
    // The first unknown-email login waits for the dummy hash the app warms up at start.
    await logIn("warm-up@example.com", "not the right password").expect(401);
    const verify = vi.spyOn(argon2, "verify");
    // The memory and time cost of each hash verified: what decides how long an answer takes.
    const costs = async (e: string) => {
      verify.mockClear();
      const res = await logIn(e, "not the right password").expect(401);
      const hashes = verify.mock.calls.map(([hash]) => String(hash));
      const work = hashes.map((h) => `m=${/[$,]m=(\d+)/.exec(h)?.[1]},t=${/[$,]t=(\d+)/.exec(h)?.[1]}`);
      return { body: res.body, work };
    };
    try {
      for (let i = 0; i < 2; i++) {
        const wrong = await costs(email);
        const unknown = await costs(`nobody-${i}@example.com`);
        expect(unknown.body).toEqual(wrong.body);
        expect(wrong.body).toEqual({
          error: { message: expect.any(String), type: "authentication_error", code: "invalid_credentials" },
        });
        // Both paths run exactly one argon2 verification of the same cost; without the dummy hash
        // the unknown email would run none and answer in a millisecond instead of tens.
        expect(wrong.work).toEqual(["m=19456,t=2"]);
        expect(unknown.work).toEqual(wrong.work);
      }
    } finally {
      verify.mockRestore();
    }
  });

  it("sends the same statements and Redis commands for an unknown email as for a wrong password", async () => {
    const statements: string[] = [];
    const counted = await env.makeApp({ clock, onQuery: (query) => statements.push(query) });
    const { id, email } = await createAccount(env);
    const monitor = await monitorRedis(REDIS_URL, env.prefix);
    const marker = connectRedis({ redisUrl: REDIS_URL, redisTlsRejectUnauthorized: false });
    // What one failed login makes the app send: its statements, and its Redis commands by name (their
    // keys name the email). A marker read after the answer shows every command of it has been seen.
    const work = async (e: string, n: number) => {
      statements.length = 0;
      monitor.commands.length = 0;
      await request(counted.app)
        .post("/admin/sessions")
        .set("X-Forwarded-For", "203.0.113.9")
        .send({ email: e, password: `not the right password ${n}` })
        .expect(401);
      await marker.get(`${env.prefix}:marker:${n}`);
      await waitFor("the marker", () => monitor.commands.some((c) => c[1] === `${env.prefix}:marker:${n}`));
      return {
        statements: [...statements],
        redis: monitor.commands.filter((c) => !c[1]?.includes(":marker:")).map((c) => c[0]),
      };
    };
    try {
      await work("warm-up@example.com", 0);
      const wrong = await work(email, 1);
      const unknown = await work("nobody-at-all@example.com", 2);
      expect(unknown).toEqual(wrong);
      // A wrong password's audit row is written by a statement the unknown email sends too (finding
      // no account, it writes nothing), in a commit that waits for no disk flush, which only the
      // wrong password's would have to wait for.
      expect(wrong.statements.some((s) => s.startsWith('insert into "audit_events"'))).toBe(true);
      expect(wrong.statements).toContain("set local synchronous_commit to off");
      expect(wrong.redis.length).toBeGreaterThan(0);
      const audit = await env.database.db.select().from(auditEvents).where(eq(auditEvents.accountId, id));
      expect(audit.map((a) => [a.action, a.ip])).toEqual([["login.failed", "203.0.113.9"]]);
    } finally {
      monitor.close();
      await marker.quit();
    }
  });

  it("says email_not_verified only once the password checked out", async () => {
    const { email } = await createAccount(env, { verified: false });
    const wrong = await logIn(email, "not the right password").expect(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const right = await logIn(email, FIXTURE_PASSWORD).expect(403);
    expect(right.body.error).toMatchObject({ code: "email_not_verified", type: "permission_error" });
    expect(sessionCookieOf(right)).toBeUndefined();
  });

  it("refuses a disabled account with account_disabled, and only with the right password", async () => {
    const { id, email } = await createAccount(env);
    await env.database.db.update(accounts).set({ disabledAt: new Date() }).where(eq(accounts.id, id));
    expect((await logIn(email, "not the right password").expect(401)).body.error.code).toBe(
      "invalid_credentials",
    );
    expect((await logIn(email, FIXTURE_PASSWORD).expect(403)).body.error.code).toBe("account_disabled");
  });

  it("rehashes a password stored with weaker argon2 parameters", async () => {
    const { id, email } = await createAccount(env);
    const weak = await argon2.hash(FIXTURE_PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 8192,
      timeCost: 1,
    });
    await env.database.db.update(accounts).set({ passwordHash: weak }).where(eq(accounts.id, id));
    await logIn(email, FIXTURE_PASSWORD).expect(201);
    const [row] = await env.database.db.select().from(accounts).where(eq(accounts.id, id));
    const params = /^\$argon2id\$v=19\$([^$]+)\$/
      .exec(row?.passwordHash ?? "")?.[1]
      ?.split(",")
      .sort();
    expect(params).toEqual(["m=19456", "p=1", "t=2"]);
    await logIn(email, FIXTURE_PASSWORD).expect(201);
  });

  it("blocks an email from an IP after 10 failures in 15 minutes with 429 and Retry-After", async () => {
    const { email } = await createAccount(env);
    const ip = nextIp();
    for (let i = 0; i < 10; i++) await logIn(email, `wrong password ${i}`, ip).expect(401);
    const blocked = await logIn(email, FIXTURE_PASSWORD, ip).expect(429);
    expect(blocked.body.error).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error" });
    const retryAfter = Number(blocked.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Another account is unaffected, and so is the owner logging in from elsewhere.
    const other = await createAccount(env);
    await logIn(other.email, FIXTURE_PASSWORD).expect(201);
    await logIn(email, FIXTURE_PASSWORD).expect(201);
  });

  it("validates the body: unknown field, malformed JSON, non-JSON", async () => {
    const unknown = await request(web.app)
      .post("/admin/sessions")
      .send({ email: "a@example.com", password: "x", remember: true })
      .expect(400);
    expect(unknown.body.error).toMatchObject({ code: "validation_failed", param: "remember" });
    const malformed = await request(web.app)
      .post("/admin/sessions")
      .set("Content-Type", "application/json")
      .send('{"email": ')
      .expect(400);
    expect(malformed.body.error.code).toBe("invalid_json");
    const form = await request(web.app)
      .post("/admin/sessions")
      .set("Content-Type", "application/x-www-form-urlencoded")
      .send("email=a@example.com&password=x")
      .expect(415);
    expect(form.body.error.code).toBe("unsupported_media_type");
  });
});

describe("sessions by cookie and bearer", () => {
  it("authenticates by cookie, and a cookie-authenticated logout needs an allowed Origin", async () => {
    const { email } = await createAccount(env);
    const login = await logIn(email, FIXTURE_PASSWORD).expect(201);
    const cookie = `keyward_session=${login.body.session.token}`;
    await request(web.app).get("/admin/me").set("Cookie", cookie).expect(200);

    const noOrigin = await request(web.app)
      .delete("/admin/sessions/current")
      .set("Cookie", cookie)
      .expect(403);
    expect(noOrigin.body.error).toMatchObject({ code: "csrf_rejected", type: "permission_error" });
    const foreign = await request(web.app)
      .delete("/admin/sessions/current")
      .set("Cookie", cookie)
      .set("Origin", "https://evil.example")
      .expect(403);
    expect(foreign.body.error.code).toBe("csrf_rejected");
    await request(web.app).get("/admin/me").set("Cookie", cookie).expect(200);

    const out = await request(web.app)
      .delete("/admin/sessions/current")
      .set("Cookie", cookie)
      .set("Origin", ORIGIN)
      .expect(204);
    expect(sessionCookieOf(out)).toMatch(/keyward_session=;.*Expires=Thu, 01 Jan 1970/);
    await request(web.app).get("/admin/me").set("Cookie", cookie).expect(401);
  });

  it("answers a logout without a session with 401", async () => {
    const res = await request(web.app).delete("/admin/sessions/current").expect(401);
    expect(res.body.error.code).toBe("session_required");
  });

  it("ends a session after 24 hours unused and after 7 days whatever the use", async () => {
    const { email } = await createAccount(env);
    const idle = (await logIn(email, FIXTURE_PASSWORD).expect(201)).body.session.token;
    const busy = (await logIn(email, FIXTURE_PASSWORD).expect(201)).body.session.token;
    for (let day = 1; day <= 6; day++) {
      clock.advance(23 * 3600_000);
      await request(web.app).get("/admin/me").set("Authorization", `Bearer ${busy}`).expect(200);
    }
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${idle}`).expect(401);
    clock.advance(30 * 3600_000); // 168 h since login, used 23 h ago
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${busy}`).expect(401);
  });
});
