import type { Redis } from "ioredis";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordUsageFields } from "../src/gateway/hot-path-script.js";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { type RequestUsage, usageFields } from "../src/usage/buffer.js";
import { flushUsage } from "../src/usage/flush.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;
let redis: Redis;
const clock = manualClock(new Date("2026-03-10T20:00:00Z"));

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp({ clock });
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await redis?.quit();
  await env?.close();
});

const flush = (options = {}) =>
  flushUsage({ database: env.database, redis, config: env.config, logger: env.logger, clock }, options);

async function record(list: RequestUsage[]): Promise<void> {
  await recordUsageFields(redis, env.prefix, list.flatMap(usageFields));
}

const base = {
  at: new Date("2026-03-10T08:00:00Z"),
  promptTokens: 0,
  completionTokens: 0,
  usageReported: true,
};

describe("token usage, recorded and read back", () => {
  it("splits a key's day by model and outcome, and sums its tokens", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    await record([
      { ...base, keyId: key.id, model: "llama", outcome: "answered", promptTokens: 12, completionTokens: 30 },
      { ...base, keyId: key.id, model: "llama", outcome: "answered", promptTokens: 8, completionTokens: 2 },
      { ...base, keyId: key.id, model: "qwen", outcome: "upstream_error" },
      { ...base, keyId: key.id, model: "", outcome: "refused" },
      { ...base, keyId: key.id, model: "qwen", outcome: "answered", usageReported: false },
    ]);
    await flush();
    const res = await request(web.app)
      .get(`/admin/keys/${key.id}/usage?days=2`)
      .set("Authorization", `Bearer ${user.token}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { date: "2026-03-09", requests: 0, prompt_tokens: 0, completion_tokens: 0, by_model: [] },
      {
        date: "2026-03-10",
        requests: 5,
        prompt_tokens: 20,
        completion_tokens: 32,
        by_model: [
          {
            model: null,
            requests: 1,
            answered: 0,
            refused: 1,
            upstream_errors: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
          },
          {
            model: "llama",
            requests: 2,
            answered: 2,
            refused: 0,
            upstream_errors: 0,
            prompt_tokens: 20,
            completion_tokens: 32,
          },
          {
            model: "qwen",
            requests: 2,
            answered: 1,
            refused: 0,
            upstream_errors: 1,
            prompt_tokens: 0,
            completion_tokens: 0,
          },
        ],
      },
    ]);
    const [row] = await env.database.sql<{ n: string }[]>`
      select requests_without_usage as n from key_model_usage_daily where key_id = ${key.id} and model = 'qwen'`;
    expect(row?.n).toBe("1");
  });

  it("a flush that dies half-way and is run again counts every token once", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    await record([
      { ...base, keyId: key.id, model: "llama", outcome: "answered", promptTokens: 7, completionTokens: 5 },
    ]);
    await expect(flush({ failAfterBatches: 1 })).rejects.toThrow(/injected/);
    await record([
      { ...base, keyId: key.id, model: "llama", outcome: "answered", promptTokens: 1, completionTokens: 1 },
    ]);
    await flush();
    await flush();
    const [row] = await env.database.sql<{ p: string; c: string; a: string }[]>`
      select prompt_tokens as p, completion_tokens as c, answered as a
      from key_model_usage_daily where key_id = ${key.id}`;
    expect(row).toEqual({ p: "8", c: "6", a: "2" });
  });

  it("gives the account's usage per day, key and model as JSON or CSV, and nobody else's", async () => {
    const user = await createAccountWithSession(env);
    const stranger = await createAccountWithSession(env);
    const a = await insertApiKey(env, user.id);
    const b = await insertApiKey(env, user.id);
    const theirs = await insertApiKey(env, stranger.id);
    const day9 = new Date("2026-03-09T10:00:00Z");
    await record([
      { ...base, keyId: a.id, model: "llama", outcome: "answered", promptTokens: 3, completionTokens: 4 },
      {
        ...base,
        at: day9,
        keyId: b.id,
        model: '=cmd,"x"',
        outcome: "answered",
        promptTokens: 1,
        completionTokens: 2,
      },
      {
        ...base,
        keyId: theirs.id,
        model: "llama",
        outcome: "answered",
        promptTokens: 100,
        completionTokens: 100,
      },
    ]);
    await flush();
    const get = (path: string) => request(web.app).get(path).set("Authorization", `Bearer ${user.token}`);
    const json = await get("/admin/usage?from=2026-03-09&to=2026-03-10");
    expect(json.status).toBe(200);
    expect(json.body.data).toEqual([
      {
        date: "2026-03-09",
        key_id: b.id,
        model: '=cmd,"x"',
        requests: 1,
        prompt_tokens: 1,
        completion_tokens: 2,
      },
      {
        date: "2026-03-10",
        key_id: a.id,
        model: "llama",
        requests: 1,
        prompt_tokens: 3,
        completion_tokens: 4,
      },
    ]);
    const csv = await get("/admin/usage?from=2026-03-09&to=2026-03-10").set("Accept", "text/csv");
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.text).toBe(
      "date,key_id,model,requests,prompt_tokens,completion_tokens\r\n" +
        `2026-03-09,${b.id},"'=cmd,""x""",1,1,2\r\n` +
        `2026-03-10,${a.id},llama,1,3,4\r\n`,
    );
    expect((await get("/admin/usage?format=csv&from=2026-03-10")).text).toBe(
      `date,key_id,model,requests,prompt_tokens,completion_tokens\r\n2026-03-10,${a.id},llama,1,3,4\r\n`,
    );
  });

  it("refuses a bad range with the contract's error shape", async () => {
    const user = await createAccountWithSession(env);
    const get = (path: string) => request(web.app).get(path).set("Authorization", `Bearer ${user.token}`);
    for (const query of [
      "from=2026-03-10&to=2026-03-01",
      "from=2020-01-01&to=2026-01-01",
      "from=yesterday",
      // A date as YYYY-MM-DD still, but PostgreSQL has no year 0 (this was a 500), or before 1970.
      "to=0001-01-01",
      "from=0000-01-01&to=0000-01-02",
      "from=1969-12-31&to=1970-01-02",
      "format=xml",
      "x=1",
    ]) {
      const res = await get(`/admin/usage?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    }
    expect((await request(web.app).get("/admin/usage")).status).toBe(401);
    // A parameter given twice is named as such, not as a string that was expected.
    const twice = await get("/admin/usage?from=2026-03-01&from=2026-03-02");
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatchObject({ message: "from: must be given once", param: "from" });
    // An unknown parameter is named as unknown, once or twice.
    const unknown = await get("/admin/usage?x=1&x=2");
    expect(unknown.body.error).toMatchObject({ message: "Unknown field: x", param: "x" });
    // The default `from`, 29 days before `to`, stops at the earliest day.
    const early = await get("/admin/usage?to=1970-01-05");
    expect(early.status).toBe(200);
    expect(early.body).toEqual({ data: [] });
  });
});
