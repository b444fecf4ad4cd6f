import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordKeyUse } from "../src/gateway/hot-path-script.js";
import { manualClock } from "../src/time/clock.js";
import { flushUsage } from "../src/usage/flush.js";
import { usageWindow } from "../src/usage/usage-report.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;
// Late on a UTC day, so that "yesterday" and "today" are both inside a short window.
const clock = manualClock(new Date(`${new Date().toISOString().slice(0, 10)}T23:00:00.000Z`));

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp({ clock });
});
afterAll(async () => {
  await env.close();
});

const get = (token: string, path: string) =>
  request(web.app).get(path).set("Authorization", `Bearer ${token}`);
const flush = () =>
  flushUsage({
    database: env.database,
    redis: web.deps.redis,
    config: env.config,
    logger: env.logger,
    clock,
  });

describe("usageWindow", () => {
  it("lists the UTC days ending today, oldest first, across month and year ends", () => {
    expect(usageWindow(new Date("2026-03-01T00:30:00Z"), 3)).toEqual([
      "2026-02-27",
      "2026-02-28",
      "2026-03-01",
    ]);
    expect(usageWindow(new Date("2027-01-01T23:59:59Z"), 2)).toEqual(["2026-12-31", "2027-01-01"]);
    expect(usageWindow(new Date("2026-06-15T12:00:00Z"), 1)).toEqual(["2026-06-15"]);
    expect(usageWindow(new Date("2026-06-15T12:00:00Z"), 90)).toHaveLength(90);
  });
});

// Uses recorded by the last-used path alone carry no tokens and no model split.
const noTokens = { prompt_tokens: 0, completion_tokens: 0, by_model: [] };

describe("GET /admin/keys/:id/usage", () => {
  it("shows flushed requests per UTC day, zero-filled, and last_used_at on the key", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const other = await insertApiKey(env, user.id);
    const now = clock.now().getTime();
    const day = 86_400_000;
    // The first is old enough to fall outside a 3-day window.
    const uses = [
      now - 10 * day,
      now - 2 * day,
      now - 2 * day + 1000,
      now - 2 * day + 2000,
      now - 60_000,
      now,
    ];
    for (const at of uses) await recordKeyUse(web.deps.redis, env.prefix, key.id, new Date(at));
    await recordKeyUse(web.deps.redis, env.prefix, other.id, new Date(now));

    const before = await get(user.token, `/admin/keys/${key.id}/usage?days=3`).expect(200);
    expect(before.body.data.map((d: { requests: number }) => d.requests)).toEqual([0, 0, 0]);

    await flush();
    const days = usageWindow(clock.now(), 3);
    const res = await get(user.token, `/admin/keys/${key.id}/usage?days=3`).expect(200);
    expect(res.body).toEqual({
      data: [
        { date: days[0], requests: 3, ...noTokens },
        { date: days[1], requests: 0, ...noTokens },
        { date: days[2], requests: 2, ...noTokens },
      ],
    });
    const month = await get(user.token, `/admin/keys/${key.id}/usage`).expect(200);
    expect(month.body.data).toHaveLength(30);
    expect(month.body.data[19]).toEqual({ date: usageWindow(clock.now(), 11)[0], requests: 1, ...noTokens });
    expect(month.body.data.reduce((n: number, d: { requests: number }) => n + d.requests, 0)).toBe(6);

    const shown = await get(user.token, `/admin/keys/${key.id}`).expect(200);
    expect(shown.body.key.last_used_at).toBe(new Date(now).toISOString());
    const list = await get(user.token, "/admin/keys").expect(200);
    const otherJson = list.body.data.find((k: { id: string }) => k.id === other.id);
    expect(otherJson.last_used_at).toBe(new Date(now).toISOString());
  });

  it("adds later flushes to the same day", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    await recordKeyUse(web.deps.redis, env.prefix, key.id, clock.now());
    await flush();
    await recordKeyUse(web.deps.redis, env.prefix, key.id, clock.now());
    await recordKeyUse(web.deps.redis, env.prefix, key.id, clock.now());
    await flush();
    const res = await get(user.token, `/admin/keys/${key.id}/usage?days=1`).expect(200);
    expect(res.body.data).toEqual([{ date: usageWindow(clock.now(), 1)[0], requests: 3, ...noTokens }]);
  });

  it("still reports a revoked key's usage", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id, { revokedAt: clock.now() });
    const res = await get(user.token, `/admin/keys/${key.id}/usage?days=7`).expect(200);
    expect(res.body.data).toHaveLength(7);
  });

  it("refuses days outside 1..90 and unknown parameters", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    for (const q of ["days=0", "days=91", "days=abc", "days=1.5"]) {
      const res = await get(user.token, `/admin/keys/${key.id}/usage?${q}`);
      expect([res.status, res.body.error.param], q).toEqual([400, "days"]);
    }
    const extra = await get(user.token, `/admin/keys/${key.id}/usage?from=2020-01-01`);
    expect([extra.status, extra.body.error.param]).toEqual([400, "from"]);
    await get(user.token, `/admin/keys/${key.id}/usage?days=90`).expect(200);
  });
});
