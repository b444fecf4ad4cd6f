import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../src/sessions/sessions.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// One matrix over every secured operation of the OpenAPI document the app serves, so that an endpoint
// added tomorrow is covered by being documented: without a session, with an API key instead of one,
// and with another account's session, whose answer must never carry the owner's data (and, where the
// path names a resource by id, must be 404 as for an unknown id).

interface Operation {
  method: "get" | "post" | "patch" | "put" | "delete";
  path: string;
}

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface Document {
  paths: Record<
    string,
    Record<
      string,
      { security?: unknown[]; requestBody?: { content: { "application/json": { schema: JsonSchema } } } }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

let env: TestEnv;
let web: TestApp;
let doc: Document;
let operations: Operation[];
let owner: { id: string; email: string; token: string; keyId: string; keyName: string; sessionId: string };
let apiKey: string;

/** The owner's resource a path's `{id}` names; a new kind of id must be added here to be tested. */
function ownersIdFor(path: string): string {
  if (path.startsWith("/admin/keys/{id}")) return owner.keyId;
  if (path.startsWith("/admin/sessions/{id}")) return owner.sessionId;
  throw new Error(`no owner's resource known for ${path}: add one to ownersIdFor`);
}

/** A value the schema accepts, every property filled: a body that passes validation. */
function sample(schema: JsonSchema): unknown {
  if (schema.$ref) return sample(doc.components.schemas[schema.$ref.split("/").pop() ?? ""] ?? {});
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) return sample(choice.find((s) => s.type !== "null") ?? {});
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "object") {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  }
  if (type === "array") return [sample(schema.items ?? {})];
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return true;
  return "auth-matrix";
}

function send(op: Operation, headers: Record<string, string>): request.Test {
  const byId = op.path.includes("{id}");
  const path = byId ? op.path.replace("{id}", ownersIdFor(op.path)) : op.path;
  const req = request(web.app)[op.method](path).set(headers);
  if (op.method === "get") return req;
  // The session is checked before the body, so most calls get an empty object; a call on a resource by
  // id gets a valid body, so that only the owner check stands between it and the resource.
  const schema = doc.paths[op.path]?.[op.method]?.requestBody?.content["application/json"].schema;
  return req.send(byId && schema ? (sample(schema) as object) : {});
}

/** A fresh session of an account that owns nothing of the owner's (one per call: some calls end it). */
async function strangersToken(): Promise<string> {
  const stranger = await createAccountWithSession(env);
  return stranger.token;
}

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
  const account = await createAccountWithSession(env);
  const keyName = `owner's key ${account.id.slice(-6)}`;
  const key = await insertApiKey(env, account.id, { name: keyName });
  const extra = await createSession(env.database.db, {
    accountId: account.id,
    ip: null,
    userAgent: null,
    now: new Date(),
    ttlHours: 1,
  });
  owner = { ...account, keyId: key.id, keyName, sessionId: extra.session.id };
  apiKey = key.secret;

  doc = (await request(web.app).get("/admin/openapi.json").expect(200)).body as Document;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => (op.security ?? []).length > 0)
      .map(([method, _op]) => ({ method: method as Operation["method"], path })),
  );
});
afterAll(async () => {
  await env.close();
});

describe("every secured operation of the served OpenAPI document", () => {
  it("is found: the matrix below runs on the document, not on a list kept by hand", () => {
    expect(operations.length).toBeGreaterThanOrEqual(15);
    expect(operations).toContainEqual({ method: "get", path: "/admin/keys/{id}" });
    expect(operations).toContainEqual({ method: "get", path: "/admin/me" });
  });

  it("answers 401 session_required without a session", async () => {
    for (const op of operations) {
      const res = await send(op, {});
      expect({ op, status: res.status, code: res.body.error?.code }).toEqual({
        op,
        status: 401,
        code: "session_required",
      });
    }
  });

  it("answers 401 session_required to an API key in place of a session", async () => {
    for (const op of operations) {
      const res = await send(op, { Authorization: `Bearer ${apiKey}` });
      expect({ op, status: res.status, code: res.body.error?.code }).toEqual({
        op,
        status: 401,
        code: "session_required",
      });
    }
  });

  it("never shows another account's data, and answers 404 for another account's resource by id", async () => {
    const ownersData = [owner.id, owner.email, owner.keyId, owner.keyName, owner.sessionId];
    for (const op of operations) {
      const res = await send(op, { Authorization: `Bearer ${await strangersToken()}` });
      // The stranger's session itself was accepted: what follows is about the owner's data.
      expect(res.body.error?.code, `${op.method} ${op.path}`).not.toBe("session_required");
      for (const secret of ownersData) expect(res.text, `${op.method} ${op.path}`).not.toContain(secret);
      if (op.path.includes("{id}")) {
        expect({ op, status: res.status, code: res.body.error?.code }).toEqual({
          op,
          status: 404,
          code: "not_found",
        });
      }
    }
    // The owner's own session sees what the stranger could not: the check above can fail.
    const own = await request(web.app)
      .get(`/admin/keys/${owner.keyId}`)
      .set("Authorization", `Bearer ${owner.token}`)
      .expect(200);
    expect(own.text).toContain(owner.keyName);
  });
});
