import type { Job } from "bullmq";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { processEmailJob } from "../src/email/email-jobs.js";
import { turnBuffered } from "../src/logging/logger.js";
import { manualClock } from "../src/time/clock.js";
import { processMaintenanceJob } from "../src/worker/maintenance.js";
import { createTestEnv, type TestApp, type TestEnv, type TestWorker } from "./support/harness.js";
import { type ResendStub, startResendStub, tokenFromEmail } from "./support/resend-stub.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// The whole life of an account, from signup to a revoked key, through the real web app, the real
// worker processors, the Resend stand-in and the upstream stand-in; then every line the web and the
// worker logged is searched for each secret that went by. Logging runs at trace level here, so that a
// secret logged only at debug level is caught too.

let env: TestEnv;
let resend: ResendStub;
let upstream: UpstreamStub;
let web: TestApp;
let worker: TestWorker;
const clock = manualClock(new Date("2026-05-04T08:00:00Z"));

const EMAIL = "log.watcher@example.com";
const PASSWORD = "first passphrase for the log test";
const CHANGED_PASSWORD = "second passphrase after a change";
const RESET_PASSWORD = "third passphrase set by a reset link";
const RESEND_KEY = "re_log_test_0123456789";

/** Every secret seen during the flow, by what it is, so a failure names the leak. */
const secrets = new Map<string, string>();
const remember = (what: string, value: string | undefined) => {
  if (!value) throw new Error(`no ${what} to remember`);
  secrets.set(what, value);
  return value;
};

beforeAll(async () => {
  resend = await startResendStub();
  upstream = await startUpstreamStub();
  env = await createTestEnv({
    TRUST_PROXY: "1",
    UPSTREAM_URL: upstream.url,
    UPSTREAM_API_KEY: "upstream-secret-credential-42",
    RESEND_API_KEY: RESEND_KEY,
    RESEND_BASE_URL: resend.url,
  });
  env.logger.level = "trace";
  web = await env.makeApp({ clock });
  worker = await env.makeWorker({ email: processEmailJob, maintenance: processMaintenanceJob }, { clock });
  for (const [what, value] of [
    ["password", PASSWORD],
    ["changed password", CHANGED_PASSWORD],
    ["reset password", RESET_PASSWORD],
    ["Resend API key", RESEND_KEY],
    ["upstream API key", "upstream-secret-credential-42"],
  ]) {
    remember(what as string, value);
  }
});
afterAll(async () => {
  await env.close();
  await resend.close();
  await upstream.close();
});

let ip = 0;
const from = () => `198.51.100.${++ip}`;
const admin = (session: string) => ({ Authorization: `Bearer ${session}`, "X-Forwarded-For": from() });

async function emailToken(page: "verify-email" | "reset-password", nth: number): Promise<string> {
  const email = await waitFor(
    `email ${nth} to ${EMAIL}`,
    () => resend.delivered.filter((e) => e.to === EMAIL)[nth - 1],
  );
  return tokenFromEmail(email, page);
}

async function runMaintenance(name: "last-used-flush" | "rotation-reminders" | "purge"): Promise<void> {
  const job = await worker.deps.queues.maintenance.add(name, {});
  await waitFor(`the ${name} run`, async () => {
    const state = await (job as Job).getState();
    if (state === "failed")
      throw new Error(
        `${name} failed: ${(await worker.deps.queues.maintenance.getJob(job.id ?? ""))?.failedReason}`,
      );
    return state === "completed" ? true : undefined;
  });
}

describe("logs over a whole account life", () => {
  it("never contain a key, session token, password or email token, at any level, in web or worker", async () => {
    // Sign up; the worker sends the verification email through the Resend stand-in.
    const signup = await request(web.app)
      .post("/admin/accounts")
      .set("X-Forwarded-For", from())
      .send({ email: EMAIL, password: PASSWORD })
      .expect(201);
    const accountId: string = signup.body.account.id;
    const verifyToken = remember("verification token", await emailToken("verify-email", 1));
    // A wrong password and a refused login before verification go through the error paths too.
    await request(web.app).post("/admin/sessions").send({ email: EMAIL, password: PASSWORD }).expect(403);
    await request(web.app).post("/admin/accounts/verify").send({ token: verifyToken }).expect(200);
    await request(web.app).post("/admin/accounts/verify").send({ token: verifyToken }).expect(400);
    await request(web.app)
      .post("/admin/sessions")
      .set("X-Forwarded-For", from())
      .send({ email: EMAIL, password: `${PASSWORD}!` })
      .expect(401);

    // Log in: once by bearer token, once by cookie (as the console does).
    const login = await request(web.app)
      .post("/admin/sessions")
      .set("X-Forwarded-For", from())
      .send({ email: EMAIL, password: PASSWORD })
      .expect(201);
    const session = remember("session token", login.body.session.token);
    const cookie = remember("session cookie", String(login.headers["set-cookie"]?.[0]).split(";")[0]);
    await request(web.app)
      .get("/admin/me")
      .set("Cookie", cookie)
      .set("Origin", "http://console.test")
      .expect(200);

    // Keys: create, use (both headers, a key in the query string, a stream, an upstream error),
    // rotate, revoke, and use again.
    const created = await request(web.app)
      .post("/admin/keys")
      .set(admin(session))
      .send({ name: "log test key" })
      .expect(201);
    const key = remember("API key", created.body.secret);
    const keyId: string = created.body.key.id;
    await request(web.app).get("/v1/models").set("X-API-Key", key).expect(200);
    await request(web.app).get(`/v1/models?api_key=${key}`).set("Authorization", `Bearer ${key}`).expect(200);
    const stream = await request(web.app)
      .post("/v1/chat/completions")
      .set("Authorization", `Bearer ${key}`)
      .send({ model: STUB_MODEL, stream: true, messages: [{ role: "user", content: "hi" }] })
      .expect(200);
    expect(stream.text).toContain("data: [DONE]");
    await request(web.app)
      .post("/v1/chat/completions")
      .set("Authorization", `Bearer ${key}`)
      .send({ model: "boom", messages: [{ role: "user", content: "hi" }] })
      .expect(500);
    const wrongKey = remember("mistyped key", `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`);
    await request(web.app).get("/v1/models").set("Authorization", `Bearer ${wrongKey}`).expect(401);
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${key}`).expect(401);
    await request(web.app).get("/v1/models").set("Authorization", `Bearer ${session}`).expect(401);

    await runMaintenance("last-used-flush");
    const rotated = await request(web.app)
      .post(`/admin/keys/${keyId}/rotate`)
      .set(admin(session))
      .send({ grace_period_seconds: 0 })
      .expect(201);
    const newKey = remember("rotated API key", rotated.body.secret);
    await request(web.app).get("/v1/models").set("X-API-Key", key).expect(401);
    await request(web.app).get("/v1/models").set("X-API-Key", newKey).expect(200);
    await request(web.app).post(`/admin/keys/${rotated.body.key.id}/revoke`).set(admin(session)).expect(200);
    await request(web.app).get("/v1/models").set("X-API-Key", newKey).expect(401);

    // Passwords: a change, then a reset by email.
    await request(web.app)
      .post("/admin/me/password")
      .set(admin(session))
      .send({ current_password: PASSWORD, new_password: CHANGED_PASSWORD })
      .expect(204);
    await request(web.app)
      .post("/admin/accounts/password-reset")
      .set("X-Forwarded-For", from())
      .send({ email: EMAIL })
      .expect(202);
    const resetToken = remember("password-reset token", await emailToken("reset-password", 2));
    await request(web.app)
      .post("/admin/accounts/password-reset/confirm")
      .send({ token: resetToken, password: RESET_PASSWORD })
      .expect(204);
    const second = await request(web.app)
      .post("/admin/sessions")
      .set("X-Forwarded-For", from())
      .send({ email: EMAIL, password: RESET_PASSWORD })
      .expect(201);
    const secondSession = remember("second session token", second.body.session.token);

    // A key old enough for a rotation reminder, then the worker's scheduled jobs.
    const kept = await request(web.app)
      .post("/admin/keys")
      .set(admin(secondSession))
      .send({ name: "kept key" })
      .expect(201);
    remember("kept API key", kept.body.secret);
    clock.advance(40 * 24 * 3600_000);
    await runMaintenance("rotation-reminders");
    await waitFor("the rotation reminder", () =>
      resend.delivered.find((e) => e.to === EMAIL && /rotat/i.test(e.subject)),
    );
    await runMaintenance("purge");
    await request(web.app)
      .delete("/admin/sessions/current")
      .set(admin(secondSession))
      .expect((r) => {
        // 401 too is fine: 40 days on, the session has expired.
        expect([204, 401]).toContain(r.status);
      });

    // The flow did run through both processes' logs...
    const lines = env.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines.filter((l) => (l.req as { path?: string } | undefined)?.path === "/v1/models").length,
    ).toBeGreaterThan(3);
    expect(env.logs.text).toContain("email sent");
    expect(env.logs.text).toContain(accountId);
    // ...and not one secret, nor its random part, appears anywhere in them.
    const text = env.logs.text;
    expect(secrets.size).toBe(14);
    for (const [what, value] of secrets) {
      expect(text.includes(value), `${what} appears in the logs`).toBe(false);
      if (value.startsWith("sk-srt-")) {
        expect(text.includes(value.slice("sk-srt-".length)), `${what} body appears in the logs`).toBe(false);
      }
    }
    // No request headers are logged at all (so no Authorization, X-API-Key or Cookie).
    for (const line of lines) {
      expect(JSON.stringify(line.req ?? {})).not.toMatch(/authorization|x-api-key|cookie/i);
      expect(JSON.stringify(line.res ?? {})).not.toMatch(/set-cookie/i);
    }
  }, 60_000);

  it("writes one access line per request with the operator's fields only (no query, no header)", async () => {
    const before = env.logs.lines.length;
    await request(web.app)
      .get("/v1/models?api_key=query-leak-1")
      .set("x-request-id", "access-line-1")
      .set("authorization", "Bearer header-leak-2")
      .set("x-forwarded-for", "203.0.113.9")
      .expect(401);
    // Access lines are written at the end of the event-loop turn in which the response closed.
    const lines = await vi.waitFor(() => {
      const found = env.logs.lines
        .slice(before)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.reqId === "access-line-1");
      expect(found).toHaveLength(1);
      return found;
    });
    const [line] = lines;
    // (A `name` too where the logger has one: "web" in production; the test logger has none.)
    expect(Object.keys(line ?? {}).sort()).toEqual(
      ["level", "msg", "pid", "reqId", "req", "res", "responseTime", "time"].sort(),
    );
    expect(line).toMatchObject({
      level: 30,
      msg: "request completed",
      req: { id: "access-line-1", method: "GET", path: "/v1/models", ip: "203.0.113.9" },
      res: { statusCode: 401 },
    });
    expect(Object.keys(line?.req as object).sort()).toEqual(["id", "ip", "method", "path"]);
    expect(typeof line?.responseTime).toBe("number");
    expect(env.logs.lines.slice(before).join("\n")).not.toMatch(/leak-[12]/);
  });

  it("writes the access lines of one event-loop turn in one write, when the turn ends", async () => {
    const writes: string[] = [];
    const buffered = turnBuffered({ write: (chunk: string) => void writes.push(chunk) });
    buffered.write('{"n":1}\n');
    buffered.write('{"n":2}\n');
    buffered.write('{"n":3}\n');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
    buffered.write('{"n":4}\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n', '{"n":4}\n']);
  });

  it("redacts the sensitive fields wherever a log call might carry them", () => {
    const before = env.logs.lines.length;
    env.logger.info(
      {
        req: { headers: { authorization: "Bearer leak-1", "x-api-key": "leak-2", cookie: "s=leak-3" } },
        res: { headers: { "set-cookie": "s=leak-4" } },
        body: { password: "leak-5", token: "leak-6", secret: "leak-7", new_password: "leak-8" },
        password: "leak-9",
        token: "leak-10",
        headers: { authorization: "Bearer leak-11", cookie: "leak-12" },
        resendApiKey: "leak-13",
        upstreamApiKey: "leak-14",
        metricsToken: "leak-15",
      },
      "a careless log call",
    );
    const line = env.logs.lines.slice(before).join("\n");
    expect(line).toContain("a careless log call");
    expect(line).toContain("[redacted]");
    for (let i = 1; i <= 15; i++) expect(line).not.toMatch(new RegExp(`leak-${i}\\b`));
  });
});
