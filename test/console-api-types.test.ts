import { readFileSync } from "node:fs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_API_TYPES, consoleApiTypes } from "../scripts/console-api-types.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// The console's typed client is generated from the OpenAPI document and committed; a change to the
// admin API that is not regenerated (npm run console:api) fails here instead of in a browser.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

describe("the console's generated API types", () => {
  it("match what GET /admin/openapi.json serves", async () => {
    const served = await request(web.app).get("/admin/openapi.json").expect(200);
    const committed = readFileSync(CONSOLE_API_TYPES, "utf8");
    expect(committed, "run npm run console:api and commit the result").toBe(
      await consoleApiTypes(served.body),
    );
  });

  it("name every operation, so generated clients have named, typed calls", () => {
    const committed = readFileSync(CONSOLE_API_TYPES, "utf8");
    for (const op of [
      "createKey",
      "listKeys",
      "rotateKey",
      "revokeKey",
      "getMe",
      "createSession",
      "listAuditEvents",
    ]) {
      expect(committed).toContain(`    ${op}: {`);
    }
  });
});
