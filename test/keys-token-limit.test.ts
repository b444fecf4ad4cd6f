import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountWithSession } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv({ TOKEN_LIMIT_FREE: "5000", TOKEN_LIMIT_PRO: "90000" });
  web = await env.makeApp();
});
afterAll(async () => {
  await env?.close();
});

describe("a key's token limit", () => {
  it("is the tier's unless lowered at creation, may not exceed the tier's, and survives rotation", async () => {
    const user = await createAccountWithSession(env);
    const post = (path: string, body: object) =>
      request(web.app).post(path).set("Authorization", `Bearer ${user.token}`).send(body);
    const plain = await post("/admin/keys", { name: "plain" });
    expect(plain.body.key.token_limit_per_minute).toBe(5000);
    const lowered = await post("/admin/keys", { name: "low", token_limit_per_minute: 1200 });
    expect(lowered.status).toBe(201);
    expect(lowered.body.key.token_limit_per_minute).toBe(1200);
    const over = await post("/admin/keys", { name: "high", token_limit_per_minute: 5001 });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: "validation_failed", param: "token_limit_per_minute" });
    for (const bad of [0, -1, 1.5, "100"]) {
      expect((await post("/admin/keys", { name: "bad", token_limit_per_minute: bad })).status).toBe(400);
    }
    const rotated = await post(`/admin/keys/${lowered.body.key.id}/rotate`, { grace_period_seconds: 0 });
    expect(rotated.body.key.token_limit_per_minute).toBe(1200);
    const got = await request(web.app)
      .get(`/admin/keys/${plain.body.key.id}`)
      .set("Authorization", `Bearer ${user.token}`);
    expect(got.body.key.token_limit_per_minute).toBe(5000);
  });
});
