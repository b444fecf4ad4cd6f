import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintEmailToken } from "../src/accounts/email-tokens.js";
import {
  createAccount,
  createAccountWithSession,
  FIXTURE_PASSWORD,
  insertApiKey,
} from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

// Every admin call answers in bounded time while PostgreSQL or Redis is cut (connections reset) or
// stalled (connections open, nothing passes): 503 with Retry-After where it cannot do its work, never
// a hang. One app reaches both servers through TCP proxies the test breaks; the shared servers keep
// serving every other test. The client gives each call a generous 15 s: a call still unanswered then
// is the failure this file exists to catch (the bound itself, 5 s, is the server's, in operations.md).

const CLIENT_GIVES_UP_MS = 15_000;

let env: TestEnv;
let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
let app: TestApp;
let user: { id: string; email: string; token: string };
let keyIds: string[];

beforeAll(async () => {
  env = await createTestEnv();
  pgProxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
  redisProxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
  const dbUrl = new URL(env.env.DATABASE_URL as string);
  dbUrl.port = String(pgProxy.port);
  app = await env.makeApp({
    config: env.configWith({ DATABASE_URL: dbUrl.toString() }),
    redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
  });
  user = await createAccountWithSession(env);
  keyIds = [];
  for (let i = 0; i < 8; i++) keyIds.push((await insertApiKey(env, user.id, { name: `k${i}` })).id);
});
afterAll(async () => {
  await app?.close();
  await pgProxy?.close();
  await redisProxy?.close();
  await env?.close();
});

type Call = { name: string; send: (keyId: string) => request.Test };

const bearer = (t: request.Test) => t.set("Authorization", `Bearer ${user.token}`);
/** The admin calls a console makes, each with what it needs; `keyId` is a key it may change. */
const calls: Call[] = [
  { name: "GET /admin/me", send: () => bearer(request(app.app).get("/admin/me")) },
  {
    name: "PATCH /admin/me",
    send: () => bearer(request(app.app).patch("/admin/me")).send({ rotation_reminder_days: 7 }),
  },
  { name: "GET /admin/keys", send: () => bearer(request(app.app).get("/admin/keys")) },
  { name: "GET /admin/keys/:id", send: (id) => bearer(request(app.app).get(`/admin/keys/${id}`)) },
  {
    name: "GET /admin/keys/:id/usage",
    send: (id) => bearer(request(app.app).get(`/admin/keys/${id}/usage`)),
  },
  {
    name: "POST /admin/keys",
    send: () => bearer(request(app.app).post("/admin/keys")).send({ name: "new" }),
  },
  {
    name: "PATCH /admin/keys/:id",
    send: (id) => bearer(request(app.app).patch(`/admin/keys/${id}`)).send({ name: "renamed" }),
  },
  {
    name: "POST /admin/keys/:id/revoke",
    send: (id) => bearer(request(app.app).post(`/admin/keys/${id}/revoke`)).send({}),
  },
  {
    name: "POST /admin/keys/:id/rotate",
    send: (id) => bearer(request(app.app).post(`/admin/keys/${id}/rotate`)).send({ grace_period_seconds: 3 }),
  },
  { name: "GET /admin/audit-events", send: () => bearer(request(app.app).get("/admin/audit-events")) },
  {
    name: "POST /admin/sessions",
    send: () =>
      request(app.app).post("/admin/sessions").send({ email: user.email, password: FIXTURE_PASSWORD }),
  },
  {
    name: "POST /admin/accounts",
    send: () =>
      request(app.app)
        .post("/admin/accounts")
        .send({
          email: `new-${Math.random().toString(36).slice(2)}@example.com`,
          password: "a perfectly fine passphrase",
        }),
  },
  {
    name: "POST /admin/accounts/verify",
    send: () =>
      request(app.app)
        .post("/admin/accounts/verify")
        .send({ token: "x".repeat(43) }),
  },
  {
    name: "POST /admin/accounts/password-reset",
    send: () => request(app.app).post("/admin/accounts/password-reset").send({ email: user.email }),
  },
  {
    name: "POST /admin/me/password",
    send: () =>
      bearer(request(app.app).post("/admin/me/password")).send({
        current_password: "not the password at all",
        new_password: "another perfectly fine passphrase",
      }),
  },
];

type Outcome = { name: string; status: number | "no answer"; retryAfter?: string; code?: string };

/** Sends every call at once and waits for each answer, or for the client to give up on it. */
async function callEverything(): Promise<Outcome[]> {
  return Promise.all(
    calls.map(async (call, i): Promise<Outcome> => {
      try {
        const res = await call.send(keyIds[i % keyIds.length] as string).timeout(CLIENT_GIVES_UP_MS);
        return {
          name: call.name,
          status: res.status,
          retryAfter: res.headers["retry-after"],
          code: res.body?.error?.code,
        };
      } catch (err) {
        if ((err as { timeout?: number }).timeout) return { name: call.name, status: "no answer" };
        throw err;
      }
    }),
  );
}

const unavailable = { status: 503, retryAfter: "5", code: "service_unavailable" };

/** Waits until the app reaches both servers again, so the next fault starts from a healthy app. */
async function healthy(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await request(app.app).get("/readyz");
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the app did not recover");
}

describe("admin calls while a dependency is away", () => {
  it.each([
    ["cut", (p: TcpProxy) => p.cut(), (p: TcpProxy) => p.restore()],
    ["stalled", (p: TcpProxy) => p.stall(), (p: TcpProxy) => p.resume()],
  ])(
    "PostgreSQL %s: every call answers 503 with Retry-After, none hangs",
    async (_, breakIt, mend) => {
      await healthy();
      breakIt(pgProxy);
      try {
        const outcomes = await callEverything();
        for (const outcome of outcomes) expect(outcome).toEqual({ name: outcome.name, ...unavailable });
      } finally {
        mend(pgProxy);
      }
      await healthy();
    },
    40_000,
  );

  it.each([
    ["cut", (p: TcpProxy) => p.cut(), (p: TcpProxy) => p.restore()],
    ["stalled", (p: TcpProxy) => p.stall(), (p: TcpProxy) => p.resume()],
  ])(
    "Redis %s: every call answers, those that need Redis with 503 and Retry-After",
    async (_, breakIt, mend) => {
      await healthy();
      breakIt(redisProxy);
      try {
        const outcomes = await callEverything();
        for (const outcome of outcomes) {
          expect(outcome.status, outcome.name).not.toBe("no answer");
          expect(outcome.status, outcome.name).not.toBe(500);
          if (outcome.status === 503) expect(outcome).toEqual({ name: outcome.name, ...unavailable });
        }
        // A session check needs no Redis: the console stays usable for reading.
        expect(outcomes.find((o) => o.name === "GET /admin/me")?.status).toBe(200);
      } finally {
        mend(redisProxy);
      }
      await healthy();
    },
    40_000,
  );

  it("a revoke and a rotate answered 503 during a PostgreSQL stall change nothing once it ends", async () => {
    await healthy();
    const toRevoke = await insertApiKey(env, user.id, { name: "stall-revoke" });
    const toRotate = await insertApiKey(env, user.id, { name: "stall-rotate" });
    pgProxy.stall();
    try {
      const answers = await Promise.all([
        bearer(request(app.app).post(`/admin/keys/${toRevoke.id}/revoke`))
          .send({})
          .timeout(CLIENT_GIVES_UP_MS),
        bearer(request(app.app).post(`/admin/keys/${toRotate.id}/rotate`))
          .send({ grace_period_seconds: 0 })
          .timeout(CLIENT_GIVES_UP_MS),
      ]);
      for (const res of answers) expect([res.status, res.headers["retry-after"]]).toEqual([503, "5"]);
    } finally {
      pgProxy.resume();
    }
    // Their work resumes with PostgreSQL and is told it was answered already: it must roll back.
    const finished = (id: string) =>
      env.logs.lines.some((l) => l.includes("request failed after it was answered") && l.includes(id));
    for (let i = 0; i < 200 && !(finished(toRevoke.id) && finished(toRotate.id)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([finished(toRevoke.id), finished(toRotate.id)]).toEqual([true, true]);
    await healthy();
    for (const key of [toRevoke, toRotate]) {
      const res = await bearer(request(app.app).get(`/admin/keys/${key.id}`)).expect(200);
      expect(res.body.key).toMatchObject({ status: "active", revoked_at: null, expires_at: null });
    }
    const all = await bearer(request(app.app).get("/admin/keys?status=all&limit=100")).expect(200);
    expect(
      all.body.data.filter((k: { rotated_from: string | null }) => k.rotated_from === toRotate.id),
    ).toEqual([]);
  }, 40_000);

  it("a signup and a password-reset request answered 503 during a PostgreSQL stall create and send nothing once it ends", async () => {
    await healthy();
    // Idle connections in the pool: the stalled statements go out on them, and so run once it ends.
    await Promise.all(Array.from({ length: 4 }, () => bearer(request(app.app).get("/admin/me")).expect(200)));
    const email = `stalled-${Math.random().toString(36).slice(2)}@example.com`;
    const emailJobsFor = async (accountId: string) => {
      const jobs = await app.deps.emailQueue.getJobs(["waiting", "delayed", "active", "completed"]);
      return jobs.filter((j) => (j.data as { accountId?: string }).accountId === accountId);
    };
    const before = (await emailJobsFor(user.id)).length;
    pgProxy.stall();
    try {
      const answers = await Promise.all([
        request(app.app)
          .post("/admin/accounts")
          .send({ email, password: "a perfectly fine passphrase" })
          .timeout(CLIENT_GIVES_UP_MS),
        request(app.app)
          .post("/admin/accounts/password-reset")
          .send({ email: user.email })
          .timeout(CLIENT_GIVES_UP_MS),
      ]);
      for (const res of answers)
        expect([res.status, res.body.error?.code]).toEqual([503, "service_unavailable"]);
    } finally {
      pgProxy.resume();
    }
    // Both calls' work resumes with PostgreSQL: each, told it was answered already, stops (a line
    // logged), or else goes on to create the account, or to queue the email.
    const logsBefore = env.logs.lines.length;
    const accountOf = async () => (await env.database.sql`select id from accounts where email = ${email}`)[0];
    await waitFor("both calls to end", async () => {
      const stopped = env.logs.lines
        .slice(logsBefore)
        .filter((l) => l.includes("request failed after it was answered") && l.includes("DeadlinePassed"));
      const created = (await accountOf()) === undefined ? 0 : 1;
      const queued = (await emailJobsFor(user.id)).length - before;
      return stopped.length + created + queued >= 2;
    });
    await healthy();
    expect(await accountOf()).toBeUndefined();
    expect(await emailJobsFor(user.id)).toHaveLength(before);
  }, 40_000);

  it("a login, a password change or reset, and an email verification answered 503 during a PostgreSQL stall change nothing once it ends", async () => {
    await healthy();
    const other = await createAccountWithSession(env);
    const unverified = await createAccount(env, { verified: false });
    const resetting = await createAccount(env);
    const mint = (accountId: string, purpose: "verify_email" | "reset_password") =>
      mintEmailToken(env.database.db, { accountId, purpose, requestId: "stall-test", now: new Date() });
    const verifyToken = await mint(unverified.id, "verify_email");
    const resetToken = await mint(resetting.id, "reset_password");
    const stateOf = async () =>
      env.database.sql`
        select id, password_hash, email_verified_at,
          (select count(*) from sessions s where s.account_id = a.id)::int as sessions,
          (select count(*) from email_tokens t where t.account_id = a.id and t.used_at is null)::int as links
        from accounts a where id in ${env.database.sql([other.id, unverified.id, resetting.id])} order by id`;
    // A first login stores the password's hash with the app's own parameters (a rehash), before the count.
    await request(app.app)
      .post("/admin/sessions")
      .send({ email: other.email, password: FIXTURE_PASSWORD })
      .expect(201);
    const before = await stateOf();
    await Promise.all(Array.from({ length: 8 }, () => bearer(request(app.app).get("/admin/me")).expect(200)));
    pgProxy.stall();
    try {
      const answers = await Promise.all(
        [
          request(app.app).post("/admin/sessions").send({ email: other.email, password: FIXTURE_PASSWORD }),
          request(app.app)
            .post("/admin/me/password")
            .set("Authorization", `Bearer ${other.token}`)
            .send({ current_password: FIXTURE_PASSWORD, new_password: "another perfectly fine passphrase" }),
          request(app.app)
            .post("/admin/accounts/password-reset/confirm")
            .send({ token: resetToken, password: "yet another fine passphrase" }),
          request(app.app).post("/admin/accounts/verify").send({ token: verifyToken }),
        ].map((call) => call.timeout(CLIENT_GIVES_UP_MS)),
      );
      for (const res of answers)
        expect([res.status, res.body.error?.code]).toEqual([503, "service_unavailable"]);
    } finally {
      pgProxy.resume();
    }
    // Each call's work resumes with PostgreSQL: it stops, told it was answered already (a line
    // logged), or else it changes what the assertion below compares.
    const logsBefore = env.logs.lines.length;
    const ended = () =>
      env.logs.lines.slice(logsBefore).filter((l) => l.includes("request failed after it was answered"))
        .length;
    await waitFor(
      "the four calls to end",
      async () => ended() >= 4 || JSON.stringify(await stateOf()) !== JSON.stringify(before),
    );
    await healthy();
    expect(await stateOf()).toEqual(before);
  }, 40_000);

  it("a session check on /admin/me during a PostgreSQL stall answers 503, then 200 once it ends", async () => {
    await healthy();
    pgProxy.stall();
    try {
      const res = await bearer(request(app.app).get("/admin/me")).timeout(CLIENT_GIVES_UP_MS);
      expect({
        status: res.status,
        retryAfter: res.headers["retry-after"],
        code: res.body.error?.code,
      }).toEqual({ status: 503, retryAfter: "5", code: "service_unavailable" });
    } finally {
      pgProxy.resume();
    }
    await healthy();
    await bearer(request(app.app).get("/admin/me")).expect(200);
  }, 40_000);
});
