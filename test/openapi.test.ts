import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

describe("OpenAPI document and docs page", () => {
  it("serves OpenAPI 3.1 with every account and session route and their error responses", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    expect(res.body.openapi).toBe("3.1.0");
    const paths = res.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const expected: [string, string, string[]][] = [
      ["/admin/accounts", "post", ["201", "400", "409", "429"]],
      ["/admin/accounts/verify", "post", ["200", "400"]],
      ["/admin/accounts/verification-email", "post", ["202", "429"]],
      ["/admin/accounts/password-reset", "post", ["202", "429"]],
      ["/admin/accounts/password-reset/confirm", "post", ["204", "400"]],
      ["/admin/sessions", "post", ["201", "401", "403", "429"]],
      ["/admin/sessions/current", "delete", ["204", "401"]],
      ["/admin/me", "get", ["200", "401"]],
      ["/admin/me", "patch", ["200", "400", "401"]],
      ["/admin/me/password", "post", ["204", "400", "401"]],
    ];
    for (const [path, method, statuses] of expected) {
      const op = paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
    }
    // Generated from the validating schemas: the strict body refuses unknown fields in the document too.
    const signup = res.body.paths["/admin/accounts"].post.requestBody.content["application/json"].schema;
    expect(signup).toMatchObject({ required: ["email", "password"], additionalProperties: false });
  });

  it("renders the document on /admin/docs from locally served assets", async () => {
    const page = await request(web.app).get("/admin/docs").expect(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).not.toContain("upgrade-insecure-requests");
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(sources.length).toBeGreaterThanOrEqual(3);
    for (const src of sources) {
      expect(src.startsWith("/admin/docs/assets/")).toBe(true);
      await request(web.app).get(src).expect(200);
    }
    const init = await request(web.app).get("/admin/docs/assets/init.js").expect(200);
    expect(init.text).toContain("/admin/openapi.json");
    await request(web.app).get("/admin/docs/assets/package.json").expect(404);
    await request(web.app).get("/admin/docs/assets/constructor").expect(404);
  });
});

describe("OpenAPI document for generated clients", () => {
  type Operation = {
    operationId?: string;
    tags?: string[];
    security?: Record<string, string[]>[];
    requestBody?: { required?: boolean };
    responses: Record<string, { content?: { "application/json": { schema: Schema } } }>;
  };
  type Schema = { properties?: Record<string, Schema>; enum?: string[]; $ref?: string };

  it("names every operation, tags it, and requires the bodies the routes require", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    const paths = res.body.paths as Record<string, Record<string, Operation>>;
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(op.operationId as string)).toBe(false);
        ids.add(op.operationId as string);
        expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
      }
    }
    expect(paths["/admin/keys"]?.post?.requestBody?.required).toBe(true);
    expect(paths["/admin/keys/{id}"]?.patch?.requestBody?.required).toBe(true);
    expect(paths["/admin/accounts"]?.post?.requestBody?.required).toBe(true);
    expect(paths["/admin/keys"]?.get?.tags).toEqual(["keys"]);
    expect(paths["/admin/audit-events"]?.get?.tags).toEqual(["audit-events"]);
    expect(paths["/admin/permissions"]?.get?.tags).toEqual(["permissions"]);
    expect(paths["/admin/keys"]?.get?.security).toEqual([{ session: [] }, { sessionCookie: [] }]);
    expect(res.body.components.securitySchemes.sessionCookie).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "keyward_session",
    });
  });

  it("lists each response's error codes as an enum, rotate's 409 key_rotated included", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    const rotate = res.body.paths["/admin/keys/{id}/rotate"].post as Operation;
    const codeOf = (status: string) =>
      rotate.responses[status]?.content?.["application/json"].schema.properties?.error?.properties?.code
        ?.enum;
    expect(codeOf("409")).toEqual(expect.arrayContaining(["key_revoked", "key_expired", "key_rotated"]));
    expect(codeOf("404")).toEqual(["not_found"]);
    expect(codeOf("401")).toEqual(["session_required"]);
    expect(codeOf("403")).toEqual(["csrf_rejected"]);
    // Every call with a body can meet the admin body limit: key creation's 413 is documented.
    const create = res.body.paths["/admin/keys"].post as Operation;
    expect(
      create.responses["413"]?.content?.["application/json"].schema.properties?.error?.properties?.code?.enum,
    ).toEqual(["payload_too_large"]);
  });

  it("documents Idempotency-Key on key creation and rotation, its 409 and the replay header", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    for (const path of ["/admin/keys", "/admin/keys/{id}/rotate"]) {
      const op = res.body.paths[path].post;
      const header = op.parameters.find((p: { in: string; name: string }) => p.in === "header");
      expect(header, path).toMatchObject({ name: "Idempotency-Key", required: false });
      expect(header.schema).toMatchObject({ type: "string", minLength: 1, maxLength: 255 });
      expect(op.responses["201"].headers["Idempotent-Replayed"].schema).toEqual({
        type: "string",
        enum: ["true"],
      });
      const conflict =
        op.responses["409"].content["application/json"].schema.properties.error.properties.code;
      expect(conflict.enum, path).toContain("idempotency_key_reused");
    }
  });

  it("has the account schema once, as a component, and documents the pages the emails link to", async () => {
    const res = await request(web.app).get("/admin/openapi.json").expect(200);
    expect(res.body.components.schemas.Account.required).toContain("email_verified");
    const text = JSON.stringify(res.body.paths);
    expect(text.match(/"email_verified"/g)).toBeNull();
    expect(text).toContain('"$ref":"#/components/schemas/Account"');
    expect(res.body.info.description).toContain("/verify-email?token=");
    expect(res.body.info.description).toContain("/reset-password?token=");
  });
});
