import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// Inputs a client can send that PostgreSQL cannot store or compare: they must be refused as a 400 in
// the error shape, never reach the database and come back as a 500.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

function expectValidationError(res: request.Response, param: string) {
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed", param });
}

describe("a NUL character in a string field", () => {
  it("is a 400 naming the key name on create and rename, and creates or changes nothing", async () => {
    const user = await createAccountWithSession(env);
    const auth = `Bearer ${user.token}`;
    const created = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", auth)
      .send({ name: "dev\u0000key" });
    expectValidationError(created, "name");

    const key = await insertApiKey(env, user.id, { name: "kept" });
    const renamed = await request(web.app)
      .patch(`/admin/keys/${key.id}`)
      .set("Authorization", auth)
      .send({ name: "a\u0000b" });
    expectValidationError(renamed, "name");

    const list = await request(web.app).get("/admin/keys").set("Authorization", auth).expect(200);
    expect(list.body.data.map((k: { name: string }) => k.name)).toEqual(["kept"]);
  });

  it("refuses other control characters in a key name, but keeps unicode names", async () => {
    const user = await createAccountWithSession(env);
    const auth = `Bearer ${user.token}`;
    const res = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", auth)
      .send({ name: "line\nbreak" });
    expectValidationError(res, "name");
    const ok = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", auth)
      .send({ name: "Produktion ☕ 本番" })
      .expect(201);
    expect(ok.body.key.name).toBe("Produktion ☕ 本番");
  });

  it("is a 400 on login, not a 500", async () => {
    const res = await request(web.app)
      .post("/admin/sessions")
      .send({ email: "someone\u0000@example.com", password: "whatever password" });
    expectValidationError(res, "email");
    expect(env.logs.text).not.toContain("request failed");
  });
});

describe("a key name's length", () => {
  it("is counted in characters (code points), as passwords are: 100 emoji pass, 101 do not", async () => {
    const user = await createAccountWithSession(env);
    const post = (name: string) =>
      request(web.app).post("/admin/keys").set("Authorization", `Bearer ${user.token}`).send({ name });
    const hundred = "🔑".repeat(100);
    const ok = await post(hundred).expect(201);
    expect(ok.body.key.name).toBe(hundred);
    expectValidationError(await post("🔑".repeat(101)), "name");
  });

  it("is documented as 1 to 100 in the OpenAPI document", async () => {
    const doc = await request(web.app).get("/admin/openapi.json").expect(200);
    const name = doc.body.components.schemas.CreateKeyRequest.properties.name;
    expect(name).toMatchObject({ type: "string", minLength: 1, maxLength: 100 });
  });
});

describe("a body that is not UTF-8", () => {
  // JSON is UTF-8 (RFC 8259). Decoded leniently, every invalid byte became U+FFFD, so two different
  // Latin-1 passwords of one length were one password.
  const latin1 = (json: string) => Buffer.from(json, "latin1");

  it("is a 400 invalid_json on sign-up, and no account is made", async () => {
    const email = `latin1-${Date.now()}@example.com`;
    const res = await request(web.app)
      .post("/admin/accounts")
      .set("Content-Type", "application/json")
      .serialize((body) => body)
      .send(latin1(JSON.stringify({ email, password: "mot de passe sécret très long" })));
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      message: "Request body is not valid UTF-8",
      type: "invalid_request_error",
      code: "invalid_json",
    });
    const again = await request(web.app)
      .post("/admin/accounts")
      .send({ email, password: "mot de passe sécret très long" });
    expect(again.status).toBe(201);
  });

  it("nor is a string with an unpaired surrogate escape (\\ud800): 400 invalid_json, no account", async () => {
    // Valid UTF-8 bytes, but not Unicode text (RFC 7493): stored, it became U+FFFD all the same.
    const email = `surrogate-${Date.now()}@example.com`;
    const res = await request(web.app)
      .post("/admin/accounts")
      .set("Content-Type", "application/json")
      .serialize((body) => body)
      .send(`{"email":"${email}","password":"a long enough passphrase \\ud800"}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
    await request(web.app)
      .post("/admin/accounts")
      .send({ email, password: "a long enough passphrase \u{1F600}" })
      .expect(201);
  });

  it("is a 400 on key creation, and no key is made", async () => {
    const user = await createAccountWithSession(env);
    const auth = `Bearer ${user.token}`;
    const res = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", auth)
      .set("Content-Type", "application/json")
      .serialize((body) => body)
      .send(latin1(JSON.stringify({ name: "Entwicklung für München" })));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
    const list = await request(web.app).get("/admin/keys").set("Authorization", auth).expect(200);
    expect(list.body.data).toEqual([]);
  });
});
