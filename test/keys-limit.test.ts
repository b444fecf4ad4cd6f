import { eq } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../src/db/schema.js";
import { manualClock } from "../src/time/clock.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;
let web2: TestApp;
const clock = manualClock();

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp({ clock });
  web2 = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

const post = (app: TestApp, token: string, path: string, body?: object) =>
  request(app.app).post(path).set("Authorization", `Bearer ${token}`).send(body);

async function insertKeys(accountId: string, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await insertApiKey(env, accountId, { name: `k${i}` })).id);
  return ids;
}

const activeCount = async (accountId: string) => {
  const rows = await env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId));
  const now = clock.now().getTime();
  return rows.filter((r) => !r.revokedAt && (!r.expiresAt || r.expiresAt.getTime() > now)).length;
};

describe("at most 100 active keys per account", () => {
  it("refuses the 101st active key with 409 key_limit_reached; revoked and expired keys do not count", async () => {
    const user = await createAccountWithSession(env);
    await insertApiKey(env, user.id, { revokedAt: clock.now() });
    await insertApiKey(env, user.id, { expiresAt: new Date(clock.now().getTime() - 1) });
    const ids = await insertKeys(user.id, 99);
    await post(web, user.token, "/admin/keys", { name: "the 100th" }).expect(201);
    const refused = await post(web, user.token, "/admin/keys", { name: "the 101st" });
    expect([refused.status, refused.body.error.code, refused.body.error.type]).toEqual([
      409,
      "key_limit_reached",
      "invalid_request_error",
    ]);
    expect(await activeCount(user.id)).toBe(100);

    // Freeing a slot makes room again.
    await post(web, user.token, `/admin/keys/${ids[0]}/revoke`).expect(200);
    await post(web, user.token, "/admin/keys", { name: "after a revoke" }).expect(201);
    expect(await activeCount(user.id)).toBe(100);
  });

  it("lets exactly one of several concurrent creations at 99 through, across two web instances", async () => {
    const user = await createAccountWithSession(env);
    await insertKeys(user.id, 99);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post(i % 2 ? web : web2, user.token, "/admin/keys", { name: `race ${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    expect(await activeCount(user.id)).toBe(100);
  });

  it("counts a rotation's old key while its grace period runs", async () => {
    const user = await createAccountWithSession(env);
    const ids = await insertKeys(user.id, 100);
    const withGrace = await post(web, user.token, `/admin/keys/${ids[5]}/rotate`, {
      grace_period_seconds: 60,
    });
    expect([withGrace.status, withGrace.body.error.code]).toEqual([409, "key_limit_reached"]);
    // Grace 0 replaces one active key by another: still 100.
    const res = await post(web, user.token, `/admin/keys/${ids[5]}/rotate`, { grace_period_seconds: 0 });
    expect(res.status).toBe(201);
    expect(await activeCount(user.id)).toBe(100);
  });

  it("limits each account on its own", async () => {
    const full = await createAccountWithSession(env);
    const other = await createAccountWithSession(env);
    await insertKeys(full.id, 100);
    expect((await post(web, full.token, "/admin/keys", { name: "x" })).status).toBe(409);
    await post(web, other.token, "/admin/keys", { name: "x" }).expect(201);
  });
});
