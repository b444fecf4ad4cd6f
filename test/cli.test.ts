import { spawnSync } from "node:child_process";
import { eq } from "drizzle-orm";
import type { Redis } from "ioredis";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import { accounts } from "../src/db/schema.js";
import { markKeysChanged } from "../src/keys/key-state.js";
import { connectRedis } from "../src/redis/client.js";
import { systemClock } from "../src/time/clock.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

let env: TestEnv;
let redis: Redis;
let upstream: UpstreamStub;
let web: TestApp;
let otherWeb: TestApp;

beforeAll(async () => {
  upstream = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: upstream.url });
  redis = connectRedis(env.config);
  web = await env.makeApp();
  otherWeb = await env.makeApp();
});
afterAll(async () => {
  await redis.quit();
  await env.close();
  await upstream.close();
});

/** Runs the CLI in-process against this test's database and Redis prefix. */
async function cli(
  argv: string[],
  opts: { stdin?: string; redis?: Redis } = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => opts.stdin ?? "" },
    async () => ({
      deps: { db: env.database.db, redis: opts.redis ?? redis, redisPrefix: env.prefix, clock: systemClock },
      close: async () => {},
    }),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const login = (app: TestApp, email: string, password: string) =>
  request(app.app).post("/admin/sessions").send({ email, password });
const v1 = (app: TestApp, key: string) =>
  request(app.app).get("/v1/models").set("Authorization", `Bearer ${key}`);

describe("command line", () => {
  it("prints usage for --help (exit 0) and for no command (exit 2)", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("accounts set-tier <email> <free|pro|enterprise>");
    expect((await cli([])).code).toBe(2);
  });

  it("refuses unknown commands, wrong arity, unknown options and tiers with exit 2", async () => {
    for (const argv of [
      ["keys", "list"],
      ["accounts", "delete", "a@b.co"],
      ["accounts", "disable"],
      ["accounts", "list", "--yaml"],
      ["accounts", "set-tier", "a@b.co", "platinum"],
    ]) {
      const res = await cli(argv);
      expect(res.code, argv.join(" ")).toBe(2);
      expect(res.err).toMatch(/^keyward: /);
    }
  });
});

describe("accounts create", () => {
  it("creates a verified account with a generated password printed once, hashed with argon2id", async () => {
    const res = await cli(["accounts", "create", "  First.User@Example.com "]);
    expect(res.code).toBe(0);
    const password = /password \(shown once, store it now\): (\S+)/.exec(res.out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    const [row] = await env.database.db
      .select()
      .from(accounts)
      .where(eq(accounts.email, "First.User@Example.com"));
    expect(row?.emailVerifiedAt).toBeInstanceOf(Date);
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(row?.passwordHash).not.toContain(password as string);
    const session = await login(web, "first.user@example.com", password as string).expect(201);
    expect(session.body.account).toMatchObject({ email: "First.User@Example.com", email_verified: true });
  });

  it("takes the password from stdin with --password-stdin and prints no password", async () => {
    const res = await cli(["accounts", "create", "stdin-user@example.com", "--password-stdin"], {
      stdin: "a long operator-chosen passphrase 77\n",
    });
    expect(res.code).toBe(0);
    expect(res.out).not.toContain("passphrase");
    await login(web, "stdin-user@example.com", "a long operator-chosen passphrase 77").expect(201);
  });

  it("refuses a taken email (any case), a bad email and a weak password with exit 1", async () => {
    const taken = await cli(["accounts", "create", "STDIN-USER@example.com"]);
    expect(taken).toMatchObject({ code: 1, err: expect.stringContaining("already exists") });
    expect((await cli(["accounts", "create", "not-an-email"])).code).toBe(1);
    const weak = await cli(["accounts", "create", "weak@example.com", "--password-stdin"], {
      stdin: "short\n",
    });
    expect(weak).toMatchObject({ code: 1, err: expect.stringContaining("at least 12") });
    const empty = await cli(["accounts", "create", "empty@example.com", "--password-stdin"], { stdin: "" });
    expect(empty.code).toBe(2);
  });
});

describe("accounts list", () => {
  it("lists accounts with tier, status and active keys, as a table or JSON lines", async () => {
    const owner = await createAccountWithSession(env, { email: "lister@example.com", tier: "pro" });
    await insertApiKey(env, owner.id);
    await insertApiKey(env, owner.id, { revokedAt: new Date() });
    const table = await cli(["accounts", "list"]);
    expect(table.code).toBe(0);
    expect(table.out.split("\n")[0]).toMatch(
      /^ID\s+EMAIL\s+VERIFIED\s+TIER\s+STATUS\s+ACTIVE KEYS\s+CREATED$/,
    );
    expect(table.out).toMatch(/lister@example\.com\s+yes\s+pro\s+active\s+1\s/);
    const json = await cli(["accounts", "list", "--json"]);
    const rows = json.out.split("\n").map((l) => JSON.parse(l) as { email: string; activeKeys: number });
    expect(rows.find((r) => r.email === "lister@example.com")).toMatchObject({
      id: owner.id,
      tier: "pro",
      verified: true,
      disabled: false,
      activeKeys: 1,
    });
  });
});

describe("accounts set-tier", () => {
  it("applies the new tier's rate limit to the account's keys on their next request", async () => {
    const owner = await createAccountWithSession(env, { email: "tiered@example.com" });
    const key = await insertApiKey(env, owner.id);
    const before = await v1(web, key.secret).expect(200);
    expect(before.headers["x-ratelimit-limit-requests"]).toBe("60");
    const res = await cli(["accounts", "set-tier", "TIERED@example.com", "pro"]);
    expect(res).toMatchObject({ code: 0, out: "tiered@example.com: tier free -> pro" });
    const after = await v1(web, key.secret).expect(200);
    expect(after.headers["x-ratelimit-limit-requests"]).toBe("600");
  });

  it("fails with exit 1 for an unknown email", async () => {
    expect(await cli(["accounts", "set-tier", "nobody@example.com", "pro"])).toMatchObject({
      code: 1,
      err: "keyward: no account with email nobody@example.com",
    });
  });
});

describe("accounts disable and enable", () => {
  it("refuses the account's keys at once on every web process and ends its sessions", async () => {
    const owner = await createAccountWithSession(env, { email: "disable-me@example.com" });
    const key = await insertApiKey(env, owner.id);
    // Both instances have seen (and cached) the key before the disable.
    await v1(web, key.secret).expect(200);
    await v1(otherWeb, key.secret).expect(200);
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${owner.token}`).expect(200);

    const res = await cli(["accounts", "disable", "disable-me@example.com"]);
    expect(res.code).toBe(0);
    for (const app of [web, otherWeb]) {
      const refused = await v1(app, key.secret).expect(401);
      expect(refused.body.error).toMatchObject({
        code: "invalid_api_key",
        message: "Invalid API key provided",
      });
    }
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${owner.token}`).expect(401);
    await login(web, owner.email, "correct horse battery staple 42").expect((r) => {
      expect(r.status).not.toBe(201);
    });
    expect((await cli(["accounts", "list"])).out).toMatch(/disable-me@example\.com\s+yes\s+free\s+disabled/);
    expect((await cli(["accounts", "disable", "disable-me@example.com"])).out).toContain("already disabled");

    const enabled = await cli(["accounts", "enable", "disable-me@example.com"]);
    expect(enabled.code).toBe(0);
    await v1(web, key.secret).expect(200);
    await v1(otherWeb, key.secret).expect(200);
    // Sessions ended by the disable stay ended; a new login works.
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${owner.token}`).expect(401);
    await login(web, owner.email, "correct horse battery staple 42").expect(201);
  });

  it("keeps a key dead after enable when it was stopped for another reason before the disable", async () => {
    const owner = await createAccountWithSession(env, { email: "rotated-then-disabled@example.com" });
    const stopped = await insertApiKey(env, owner.id, { name: "grace ended" });
    const live = await insertApiKey(env, owner.id, { name: "live" });
    // Its rotation's grace ended a second ago.
    await env.database
      .sql`update api_keys set expires_at = now() - interval '1 second' where id = ${stopped.id}`;
    await markKeysChanged(redis, env.prefix, [stopped.id], Date.now());
    await v1(web, stopped.secret).expect(401);
    await v1(web, live.secret).expect(200);
    expect((await cli(["accounts", "disable", owner.email])).code).toBe(0);
    expect((await cli(["accounts", "enable", owner.email])).code).toBe(0);
    await v1(web, stopped.secret).expect(401);
    await v1(web, live.secret).expect(200);
  });

  it("changes nothing when Redis cannot be told, and says so with exit 1", async () => {
    const owner = await createAccountWithSession(env, { email: "redis-down@example.com" });
    const key = await insertApiKey(env, owner.id);
    const deadRedis = connectRedis({ redisUrl: "redis://127.0.0.1:1", redisTlsRejectUnauthorized: false });
    try {
      const res = await cli(["accounts", "disable", owner.email], { redis: deadRedis });
      expect(res).toMatchObject({ code: 1, err: expect.stringContaining("nothing was changed") });
    } finally {
      deadRedis.disconnect();
    }
    await request(web.app).get("/admin/me").set("Authorization", `Bearer ${owner.token}`).expect(200);
    await v1(web, key.secret).expect(200);
  });
});

describe("npm run keyward (the real entry point)", () => {
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", ...env.env, ...extraEnv },
      encoding: "utf8",
      timeout: 30_000,
    });

  it("lists accounts from the configured database and exits 0", () => {
    const res = run(["accounts", "list"]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("lister@example.com");
  });

  it("stops with one line naming an invalid variable, exit 1", () => {
    const res = run(["accounts", "list"], { REDIS_URL: "http://nope" });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([expect.stringContaining("REDIS_URL")]);
  });
});
