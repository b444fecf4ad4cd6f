import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../src/db/schema.js";
import { summariseUserAgent } from "../src/sessions/user-agent.js";
import { manualClock } from "../src/time/clock.js";
import { createAccount, createAccountWithSession, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { TEST_TOTP_KEY } from "./support/second-factor.js";

// Sessions the account can see and end, on two web processes: an ended session stops working on the
// other process on its very next request (sessions are read from PostgreSQL on every request).

let env: TestEnv;
let a: TestApp;
let b: TestApp;
const clock = manualClock(new Date("2026-06-02T09:00:00Z"));
const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0";
const SAFARI_IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

beforeAll(async () => {
  env = await createTestEnv({ TRUST_PROXY: "1", TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY });
  a = await env.makeApp({ clock });
  b = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function logIn(app: TestApp, email: string, ip: string, userAgent: string): Promise<string> {
  const res = await request(app.app)
    .post("/admin/sessions")
    .set("X-Forwarded-For", ip)
    .set("User-Agent", userAgent)
    .send({ email, password: FIXTURE_PASSWORD })
    .expect(201);
  return res.body.session.token;
}

const me = (app: TestApp, token: string) => request(app.app).get("/admin/me").set(bearer(token));
const list = (app: TestApp, token: string) => request(app.app).get("/admin/sessions").set(bearer(token));

describe("GET /admin/sessions", () => {
  it("lists live sessions newest first, with address, summarised agent and which one is this one", async () => {
    const { email } = await createAccount(env);
    const laptop = await logIn(a, email, "198.51.100.7", FIREFOX);
    clock.advance(1000);
    const phone = await logIn(b, email, "198.51.100.8", SAFARI_IOS);
    const res = await list(a, laptop).expect(200);
    expect(res.body.data).toHaveLength(2);
    const [newest, oldest] = res.body.data;
    expect(newest).toMatchObject({ ip: "198.51.100.8", user_agent: "Safari on iOS", current: false });
    expect(oldest).toMatchObject({ ip: "198.51.100.7", user_agent: "Firefox on Windows", current: true });
    expect(Object.keys(newest).sort()).toEqual([
      "created_at",
      "current",
      "id",
      "ip",
      "last_used_at",
      "user_agent",
    ]);
    expect(newest.id).toMatch(/^ses_/);
    expect(JSON.stringify(res.body)).not.toContain(phone);
    const fromPhone = await list(b, phone).expect(200);
    expect(fromPhone.body.data.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
  });

  it("leaves out sessions past their idle limit", async () => {
    const { email } = await createAccount(env);
    const old = await logIn(a, email, "198.51.100.9", FIREFOX);
    clock.advance(25 * 3600_000);
    const fresh = await logIn(a, email, "198.51.100.9", FIREFOX);
    const res = await list(a, fresh).expect(200);
    expect(res.body.data).toHaveLength(1);
    await me(a, old).expect(401);
  });

  it("needs a session", async () => {
    const res = await request(a.app).get("/admin/sessions").expect(401);
    expect(res.body.error.code).toBe("session_required");
  });
});

describe("ending sessions", () => {
  it("DELETE /admin/sessions/:id ends that session on the other process at once, and is audited", async () => {
    const account = await createAccount(env);
    const mine = await logIn(a, account.email, "198.51.100.10", FIREFOX);
    const stolen = await logIn(b, account.email, "198.51.100.11", SAFARI_IOS);
    await me(b, stolen).expect(200);
    const [target] = (await list(a, mine)).body.data.filter((s: { current: boolean }) => !s.current);
    await request(a.app)
      .delete(`/admin/sessions/${target.id}`)
      .set(bearer(mine))
      .set("X-Forwarded-For", "198.51.100.10")
      .send()
      .expect(204);
    const refused = await me(b, stolen).expect(401);
    expect(refused.body.error.code).toBe("session_required");
    await me(a, mine).expect(200);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    expect(events.find((e) => e.action === "session.ended")?.ip).toBe("198.51.100.10");
  });

  it("answers 404 for another account's session, an unknown id and a malformed one, and ends nothing", async () => {
    const me1 = await createAccountWithSession(env);
    const other = await createAccount(env);
    const othersToken = await logIn(a, other.email, "198.51.100.12", FIREFOX);
    const [theirs] = (await list(a, othersToken)).body.data;
    for (const id of [theirs.id, "ses_00000000000000000000000000", "not-an-id"]) {
      const res = await request(a.app).delete(`/admin/sessions/${id}`).set(bearer(me1.token)).send();
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", type: "invalid_request_error" });
    }
    await me(b, othersToken).expect(200);
  });

  it("DELETE /admin/sessions?others=true ends every other session everywhere and keeps this one", async () => {
    const account = await createAccount(env);
    const mine = await logIn(a, account.email, "198.51.100.13", FIREFOX);
    const others = [
      await logIn(a, account.email, "198.51.100.14", SAFARI_IOS),
      await logIn(b, account.email, "198.51.100.15", "curl/8.5.0"),
    ];
    const missing = await request(b.app).delete("/admin/sessions").set(bearer(mine)).send();
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "validation_failed", param: "others" });
    for (const t of others) await me(a, t).expect(200);

    await request(b.app).delete("/admin/sessions?others=true").set(bearer(mine)).send().expect(204);
    for (const t of others) {
      await me(a, t).expect(401);
      await me(b, t).expect(401);
    }
    await me(a, mine).expect(200);
    expect((await list(a, mine)).body.data).toHaveLength(1);
    const events = await env.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.accountId, account.id));
    expect(events.map((e) => e.action)).toContain("sessions.ended_others");
  });

  it("a cookie-authenticated end without an allowed Origin is refused (CSRF) and ends nothing", async () => {
    const account = await createAccount(env);
    const mine = await logIn(a, account.email, "198.51.100.16", FIREFOX);
    const other = await logIn(a, account.email, "198.51.100.17", FIREFOX);
    const res = await request(a.app)
      .delete("/admin/sessions?others=true")
      .set("Cookie", `keyward_session=${mine}`)
      .set("Origin", "https://evil.example")
      .send();
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_rejected");
    await me(b, other).expect(200);
  });

  it("PUT /admin/sessions is a 405 naming the methods the path has", async () => {
    const res = await request(a.app).put("/admin/sessions").send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST, GET, DELETE, HEAD");
  });
});

describe("summarised user agents", () => {
  it("names browser and system, or the tool", () => {
    expect(summariseUserAgent(FIREFOX)).toBe("Firefox on Windows");
    expect(summariseUserAgent(SAFARI_IOS)).toBe("Safari on iOS");
    expect(
      summariseUserAgent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
      ),
    ).toBe("Chrome on macOS");
    expect(summariseUserAgent("curl/8.5.0")).toBe("curl");
    expect(summariseUserAgent(null)).toBeNull();
  });
});
