import { sql } from "drizzle-orm";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorHandler } from "../src/api/error-handler.js";
import { loggableMessage } from "../src/errors/loggable-error.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// The error handler on real PostgreSQL errors, raised through drizzle as the routes raise them.

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env.close();
});

function appFailingWith(query: () => Promise<unknown>) {
  const app = express();
  app.get("/", async () => {
    await query();
  });
  app.use(errorHandler(env.logger));
  return app;
}

describe("errorHandler on database errors", () => {
  it("logs a failed query without its parameters, which may be hashes or emails", async () => {
    const marker = "argon2id-hash-of-someone-7f3a9c";
    const failing = () => env.database.db.execute(sql`select 1 / 0 where ${marker}::text is not null`);
    const res = await request(appFailingWith(failing)).get("/").expect(500);
    expect(res.body).toEqual({
      error: { message: "Internal server error", type: "api_error", code: "internal_error" },
    });
    const line = env.logs.lines.find((l) => l.includes("request failed"));
    expect(line).toBeDefined();
    expect(line).toContain("division by zero");
    expect(line).toContain("select 1 / 0");
    expect(env.logs.text).not.toContain(marker);

    const thrown = await failing().catch((err: unknown) => err);
    expect(loggableMessage(thrown)).toContain("division by zero");
    expect(loggableMessage(thrown)).not.toContain(marker);
  });

  it("answers text PostgreSQL cannot store with 400 validation_failed, not 500", async () => {
    const failing = () => env.database.db.execute(sql`select ${"a\u0000b"}::text`);
    const res = await request(appFailingWith(failing)).get("/").expect(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed" });
    expect(res.body.error.param).toBeUndefined();
  });
});
