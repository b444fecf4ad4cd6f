import { execFile } from "node:child_process";
import { promisify } from "node:util";
import OpenAI, { AuthenticationError, NotFoundError, PermissionDeniedError, RateLimitError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

const run = promisify(execFile);

let env: TestEnv;
let stub: UpstreamStub;
let server: { url: string; close(): Promise<void> };
let secret: string;

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  const web = await env.makeApp();
  server = await listen(web.app);
  const account = await createAccount(env);
  ({ secret } = await insertApiKey(env, account.id));
});
afterAll(async () => {
  await server.close();
  await stub.close();
  await env.close();
});

describe("the /v1 gateway through the openai SDK", () => {
  it("answers a chat completion from the upstream", async () => {
    const { data, response } = await client(secret)
      .chat.completions.create({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello there!");
    expect(response.headers.get("x-request-id")).toMatch(/\S+/);
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("60");
    expect(Number(response.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(60);
    expect(response.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+ms|\d+s|\d+m\d+s)$/);
  });

  it("streams a chat: the first chunk reaches the client before the upstream has finished", async () => {
    const held = stub.holdNextStream();
    const stream = await client(secret).chat.completions.create({
      model: STUB_MODEL,
      messages: [{ role: "user", content: "Hello!" }],
      stream: true,
    });
    const chunks = stream[Symbol.asyncIterator]();
    let text = "";
    // The upstream writes two chunks and then waits for release(): whatever arrives now arrived
    // while the upstream's response was still open.
    while (text === "") {
      const next = await chunks.next();
      expect(next.done).toBe(false);
      text += next.value?.choices[0]?.delta.content ?? "";
    }
    await held.firstChunkSent;
    expect(text).toBe("Hello");
    held.release();
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      text += next.value.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Hello there!");
  });

  it("answers embeddings", async () => {
    const res = await client(secret).embeddings.create({ model: STUB_MODEL, input: ["a", "b"] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.map((x) => Math.round(x * 10) / 10)).toEqual([0.1, 0.2, 0.3]);
  });

  it("lists and retrieves models from what keyward learned, and answers model_not_found for another", async () => {
    const list = await client(secret).models.list();
    expect(list.data.map((m) => m.id)).toEqual([STUB_MODEL]);
    const model = await client(secret).models.retrieve(STUB_MODEL);
    expect(model.id).toBe(STUB_MODEL);
    const missing = await client(secret)
      .models.retrieve("no-such-model")
      .catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.error).toMatchObject({
      message: "The model `no-such-model` does not exist or you do not have access to it.",
      type: "invalid_request_error",
    });
    expect(missing.code).toBe("model_not_found");
  });

  it("raises AuthenticationError with the documented message for unknown and malformed keys", async () => {
    // The real key with its last character changed (to another one, whatever it was).
    const mistyped = `${secret.slice(0, -1)}${secret.endsWith("x") ? "y" : "x"}`;
    for (const bad of [mistyped, "sk-abc123", "key-abc123", "sk-srt-your-api-key-here"]) {
      const err = await client(bad)
        .models.list()
        .catch((e) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err.error).toEqual({
        message: "Invalid API key provided",
        type: "authentication_error",
        code: "invalid_api_key",
      });
    }
  });

  it("raises PermissionDeniedError with the documented message for a key without the permission", async () => {
    const account = await createAccount(env);
    const modelsOnly = await insertApiKey(env, account.id, { permissions: ["models:list"] });
    await expect(client(modelsOnly.secret).models.list()).resolves.toBeTruthy();
    const err = await client(modelsOnly.secret)
      .chat.completions.create({ model: STUB_MODEL, messages: [{ role: "user", content: "Hi" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.error).toEqual({
      message: "API key doesn't have permission for this endpoint",
      type: "permission_error",
      code: "insufficient_permissions",
    });
    const embeddings = await client(modelsOnly.secret)
      .embeddings.create({ model: STUB_MODEL, input: "x" })
      .catch((e) => e);
    expect(embeddings).toBeInstanceOf(PermissionDeniedError);
  });

  it("raises RateLimitError with Retry-After once a key's per-minute limit is used up", async () => {
    const account = await createAccount(env);
    const limited = await insertApiKey(env, account.id, { rateLimitPerMinute: 2 });
    const first = await client(limited.secret).models.list().withResponse();
    expect(first.response.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.response.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    await client(limited.secret).models.list();
    const err = await client(limited.secret)
      .models.list()
      .catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    const retryAfter = Number(err.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(err.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  it("refuses a request with no key with missing_api_key, with a request id", async () => {
    const res = await fetch(`${server.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toMatch(/\S+/);
    const body = (await res.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ type: "authentication_error", code: "missing_api_key" });
  });

  it("refuses an admin session token used as an API key", async () => {
    const { token } = await createAccountWithSession(env);
    const err = await client(token)
      .models.list()
      .catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.error.code).toBe("invalid_api_key");
  });

  it("never writes a key to the log", () => {
    expect(env.logs.lines.length).toBeGreaterThan(0);
    expect(env.logs.text).not.toContain(secret);
  });
});

// The product docs' curl examples, verbatim but for the host and the placeholder key.
const DOC_CURLS = {
  "api-keys.md (Authorization: Bearer)": `curl https://api.solidrust.ai/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer sk-srt-your-api-key-here" \\
  -d '{
    "model": "vllm-primary",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
  "authentication.md (X-API-Key)": `curl https://api.solidrust.ai/v1/chat/completions \\
  -H "X-API-Key: sk_live_abc123..." \\
  -H "Content-Type: application/json" \\
  -d '{"model": "vllm-primary", "messages": [{"role": "user", "content": "Hi"}]}'`,
  "authentication.md (Authorization Bearer)": `curl https://api.solidrust.ai/v1/chat/completions \\
  -H "Authorization: Bearer sk_live_abc123..." \\
  -H "Content-Type: application/json" \\
  -d '{"model": "vllm-primary", "messages": [{"role": "user", "content": "Hi"}]}'`,
};

async function curl(command: string): Promise<{ status: number; body: unknown }> {
  const { stdout } = await run("bash", ["-c", `${command} -s -w '\\n%{http_code}'`]);
  const at = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(at + 1)), body: JSON.parse(stdout.slice(0, at)) };
}

describe("the product docs' curl examples", () => {
  for (const [name, command] of Object.entries(DOC_CURLS)) {
    it(`${name} works with a real key`, async () => {
      const local = command
        .replace("https://api.solidrust.ai", server.url)
        .replace(/sk-srt-your-api-key-here|sk_live_abc123\.\.\./, secret);
      const res = await curl(local);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ object: "chat.completion", model: STUB_MODEL });
    });

    it(`${name} with the docs' placeholder key gets the documented 401 body`, async () => {
      const res = await curl(command.replace("https://api.solidrust.ai", server.url));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: {
          message: "Invalid API key provided",
          type: "authentication_error",
          code: "invalid_api_key",
        },
      });
    });
  }
});
