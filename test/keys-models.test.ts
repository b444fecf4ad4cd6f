import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyChangedAtKey } from "../src/keys/key-state.js";
import { asSession } from "./support/as-session.js";
import { createAccountWithSession } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// Per-key model access through the admin API: chosen at creation, changed by PATCH, shown in list and
// get, kept by rotation. What /v1 does with it is in gateway-models.test.ts.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

const as = (token: string) => asSession(web, token);

describe("a key's models", () => {
  it("are every model (null) by default, or the listed ids without duplicates, in create, get and list", async () => {
    const user = await createAccountWithSession(env);
    const all = await as(user.token).post("/admin/keys", { name: "all" }).expect(201);
    expect(all.body.key.models).toBeNull();
    const some = await as(user.token)
      .post("/admin/keys", {
        name: "some",
        models: ["vllm-primary", "meta-llama/Llama-3.1-8B", "vllm-primary"],
      })
      .expect(201);
    expect(some.body.key.models).toEqual(["vllm-primary", "meta-llama/Llama-3.1-8B"]);
    const got = await as(user.token).get(`/admin/keys/${some.body.key.id}`).expect(200);
    expect(got.body.key.models).toEqual(["vllm-primary", "meta-llama/Llama-3.1-8B"]);
    const listed = await as(user.token).get("/admin/keys").expect(200);
    expect(listed.body.data.map((k: { name: string; models: unknown }) => [k.name, k.models])).toEqual([
      ["some", ["vllm-primary", "meta-llama/Llama-3.1-8B"]],
      ["all", null],
    ]);
  });

  it.each([
    [[], "must list at least one model"],
    [[""], "invalid model id"],
    [[" padded"], "invalid model id"],
    [["a\u0000b"], "invalid model id"],
    ["vllm-primary", "must be a list"],
    [Array.from({ length: 101 }, (_, i) => `m${i}`), "at most 100"],
  ])("refuses models %j with 400 naming models", async (models, message) => {
    const user = await createAccountWithSession(env);
    const res = await as(user.token).post("/admin/keys", { name: "k", models }).expect(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", param: "models" });
    expect(res.body.error.message).toContain(message);
  });

  it("change through PATCH, alone or with the name, audited, and published to every process's cache", async () => {
    const user = await createAccountWithSession(env);
    const made = await as(user.token).post("/admin/keys", { name: "k" }).expect(201);
    const id = made.body.key.id;
    const since = Date.now();
    const limited = await as(user.token)
      .patch(`/admin/keys/${id}`, { models: ["vllm-primary"] })
      .expect(200);
    expect(limited.body.key).toMatchObject({ name: "k", models: ["vllm-primary"] });
    // The key's change marker (keys/publish-key-change.ts): every process reads the key again.
    const marker = await web.deps.redis.get(keyChangedAtKey(env.config.redisPrefix, id));
    expect(Number(marker)).toBeGreaterThanOrEqual(since);
    const both = await as(user.token).patch(`/admin/keys/${id}`, { name: "k2", models: null }).expect(200);
    expect(both.body.key).toMatchObject({ name: "k2", models: null });
    const renamed = await as(user.token).patch(`/admin/keys/${id}`, { name: "k3" }).expect(200);
    expect(renamed.body.key.models).toBeNull();
    const empty = await as(user.token).patch(`/admin/keys/${id}`, {}).expect(400);
    expect(empty.body.error.code).toBe("validation_failed");
    const events = await as(user.token).get("/admin/audit-events").expect(200);
    // Events of one call share its instant, so only their set is fixed.
    expect(events.body.data.map((e: { action: string }) => e.action).sort()).toEqual([
      "key.created",
      "key.models_changed",
      "key.models_changed",
      "key.renamed",
      "key.renamed",
    ]);
  });

  it("carry over to the rotated key", async () => {
    const user = await createAccountWithSession(env);
    const made = await as(user.token)
      .post("/admin/keys", { name: "k", models: ["m1"] })
      .expect(201);
    const rotated = await as(user.token).post(`/admin/keys/${made.body.key.id}/rotate`, {}).expect(201);
    expect(rotated.body.key.models).toEqual(["m1"]);
    expect(rotated.body.previous.models).toEqual(["m1"]);
  });

  it("are in the OpenAPI document for create, update and the key", async () => {
    const doc = (await request(web.app).get("/admin/openapi.json").expect(200)).body;
    const schemas = doc.components.schemas;
    expect(schemas.ApiKey.properties.models).toBeDefined();
    expect(schemas.CreateKeyRequest.properties.models).toBeDefined();
    expect(schemas.UpdateKeyRequest.properties.models).toBeDefined();
  });
});
