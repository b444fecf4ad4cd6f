import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { asSession } from "./support/as-session.js";
import { createAccountWithSession } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

// A change to keys (revoke, rotate, models, an account disabled) made while Redis is cut or stalled:
// the answer, the stored status and every gateway must agree, during the fault and after it. Web
// processes A and B reach Redis through one TCP proxy the test breaks (the fault hits both); C reaches
// Redis directly and never sees the fault, as A and B do again once their fallback to PostgreSQL ends,
// so C shows what the gateways make of whatever the fault left in Redis.

let env: TestEnv;
let upstream: UpstreamStub;
let proxy: TcpProxy;
let a: TestApp;
let b: TestApp;
let c: TestApp;
const clock = manualClock(new Date());

beforeAll(async () => {
  upstream = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: upstream.url });
  proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
  const throughProxy = `redis://127.0.0.1:${proxy.port}`;
  a = await env.makeApp({ redisUrl: throughProxy, clock });
  b = await env.makeApp({ redisUrl: throughProxy, clock });
  c = await env.makeApp({ clock });
});
afterAll(async () => {
  await env?.close();
  await proxy?.close();
  await upstream?.close();
});

type Fault = "cut" | "stalled";
const faults: Fault[] = ["cut", "stalled"];

function breakRedis(fault: Fault): void {
  if (fault === "cut") proxy.cut();
  else proxy.stall();
}

/** Ends the fault and waits until A and B answer through the proxy again. */
async function mendRedis(fault: Fault): Promise<void> {
  if (fault === "cut") proxy.restore();
  else proxy.resume();
  for (const app of [a, b]) {
    // After a stall this PING follows, on the same connection, whatever the fault held back.
    for (let i = 0; ; i++) {
      try {
        await app.deps.redis.ping();
        break;
      } catch (err) {
        if (i >= 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

const as = asSession;
const v1 = (app: TestApp, secret: string) => request(app.app).get("/v1/models").set("X-API-Key", secret);

/** The /v1 status of a key on A, B and C. */
async function gateways(secret: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const app of [a, b, c]) statuses.push((await v1(app, secret)).status);
  return statuses;
}

async function newKey(token: string, name: string): Promise<{ id: string; secret: string }> {
  const res = await as(c, token).post("/admin/keys", { name }).expect(201);
  const key = { id: res.body.key.id as string, secret: res.body.secret as string };
  expect(await gateways(key.secret)).toEqual([200, 200, 200]);
  return key;
}

function expectNothingChanged(res: request.Response): void {
  expect({ status: res.status, retryAfter: res.headers["retry-after"], error: res.body.error }).toEqual({
    status: 503,
    retryAfter: "5",
    error: {
      message: "Key changes are unavailable right now; nothing was changed",
      type: "api_error",
      code: "service_unavailable",
    },
  });
}

async function cli(argv: string[], redisUrl: string): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const redis = connectRedis({ redisUrl, redisTlsRejectUnauthorized: false });
  try {
    const code = await runCli(
      argv,
      { out: () => {}, err: (l) => err.push(l), readStdin: async () => "" },
      async () => ({
        deps: { db: env.database.db, redis, redisPrefix: env.prefix, clock },
        close: async () => {},
      }),
    );
    return { code, err: err.join("\n") };
  } finally {
    redis.disconnect();
  }
}

describe.each(faults)("with Redis %s for web processes A and B", (fault) => {
  it("a revoke that fails changes nothing anywhere; once Redis is back, one revoke acts everywhere at once", async () => {
    const user = await createAccountWithSession(env);
    const key = await newKey(user.token, `revoke while ${fault}`);

    breakRedis(fault);
    try {
      expectNothingChanged(await as(a, user.token).post(`/admin/keys/${key.id}/revoke`));
      // PostgreSQL says active, and every gateway that cannot read Redis asks PostgreSQL.
      expect((await as(b, user.token).get(`/admin/keys/${key.id}`)).body.key.status).toBe("active");
      expect(await gateways(key.secret)).toEqual([200, 200, 200]);
    } finally {
      await mendRedis(fault);
    }

    for (const app of [a, b, c]) {
      const got = await as(app, user.token).get(`/admin/keys/${key.id}`).expect(200);
      expect(got.body.key).toMatchObject({ status: "active", revoked_at: null });
    }
    const listed = await as(b, user.token).get("/admin/keys").expect(200);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(await gateways(key.secret)).toEqual([200, 200, 200]);

    const revoked = await as(b, user.token).post(`/admin/keys/${key.id}/revoke`).expect(200);
    expect(revoked.body.key.status).toBe("revoked");
    expect(await gateways(key.secret)).toEqual([401, 401, 401]);
    expect((await as(a, user.token).get(`/admin/keys/${key.id}`)).body.key.status).toBe("revoked");
  });

  it("a rotate that fails creates no key and leaves the old one working; a later one keeps its grace", async () => {
    const user = await createAccountWithSession(env);
    const old = await newKey(user.token, `rotate while ${fault}`);

    breakRedis(fault);
    try {
      expectNothingChanged(
        await as(a, user.token).post(`/admin/keys/${old.id}/rotate`, { grace_period_seconds: 3 }),
      );
    } finally {
      await mendRedis(fault);
    }
    // Past the grace the failed rotation asked for: nothing was rotated, so nothing stops.
    clock.advance(4_000);
    const all = await as(c, user.token).get("/admin/keys?status=all").expect(200);
    expect(all.body.data.map((k: { id: string; status: string }) => [k.id, k.status])).toEqual([
      [old.id, "active"],
    ]);
    expect(await gateways(old.secret)).toEqual([200, 200, 200]);

    const rotated = await as(a, user.token).post(`/admin/keys/${old.id}/rotate`, { grace_period_seconds: 3 });
    expect(rotated.status).toBe(201);
    clock.advance(2_000);
    expect(await gateways(old.secret)).toEqual([200, 200, 200]);
    expect(await gateways(rotated.body.secret)).toEqual([200, 200, 200]);
    clock.advance(1_000);
    expect(await gateways(old.secret)).toEqual([401, 401, 401]);
    expect((await as(b, user.token).get(`/admin/keys/${old.id}`)).body.key.status).toBe("expired");
  });

  it("a models change that fails changes nothing", async () => {
    const user = await createAccountWithSession(env);
    const key = await newKey(user.token, `models while ${fault}`);
    breakRedis(fault);
    try {
      expectNothingChanged(
        await as(a, user.token).patch(`/admin/keys/${key.id}`, { models: ["other-model"] }),
      );
    } finally {
      await mendRedis(fault);
    }
    expect((await as(c, user.token).get(`/admin/keys/${key.id}`)).body.key.models).toBeNull();
    expect(await gateways(key.secret)).toEqual([200, 200, 200]);
  });

  it("an account disable that fails changes nothing and says so; once Redis is back it acts everywhere", async () => {
    const user = await createAccountWithSession(env);
    const key = await newKey(user.token, `disable while ${fault}`);

    breakRedis(fault);
    try {
      const refused = await cli(["accounts", "disable", user.email], `redis://127.0.0.1:${proxy.port}`);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain("nothing was changed");
    } finally {
      await mendRedis(fault);
    }
    await as(c, user.token).get("/admin/me").expect(200);
    expect(await gateways(key.secret)).toEqual([200, 200, 200]);

    expect((await cli(["accounts", "disable", user.email], env.env.REDIS_URL as string)).code).toBe(0);
    expect(await gateways(key.secret)).toEqual([401, 401, 401]);
    await as(a, user.token).get("/admin/me").expect(401);
    expect((await cli(["accounts", "enable", user.email], env.env.REDIS_URL as string)).code).toBe(0);
    expect(await gateways(key.secret)).toEqual([200, 200, 200]);
  });
});

describe("with Redis healthy", () => {
  it("a revocation on one process is refused by every process on the very next request", async () => {
    const user = await createAccountWithSession(env);
    for (let i = 0; i < 5; i++) {
      const key = await newKey(user.token, `healthy ${i}`);
      const on = [a, b, c][i % 3] as TestApp;
      await as(on, user.token).post(`/admin/keys/${key.id}/revoke`).expect(200);
      expect(await gateways(key.secret)).toEqual([401, 401, 401]);
    }
  });
});
