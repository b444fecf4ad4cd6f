import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { listen, rawRequest } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

let env: TestEnv;
let stub: UpstreamStub;
let server: { url: string; close(): Promise<void> };
let secret: string;
const closers: Array<() => Promise<void>> = [];

const CHAT = JSON.stringify({ model: STUB_MODEL, messages: [{ role: "user", content: "Hi" }] });

/** A chat completion with `headers` (and the JSON content type), as the gateway receives it raw. */
const chat = (url: string, headers: Record<string, string>, body = CHAT) =>
  rawRequest(url, {
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

/** An app on this env with config overrides, listening on a real port. */
async function appWith(overrides: Record<string, string>) {
  const web = await env.makeApp({ config: env.configWith(overrides) });
  const s = await listen(web.app);
  closers.push(s.close);
  return s;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  server = await listen((await env.makeApp()).app);
  const account = await createAccount(env);
  ({ secret } = await insertApiKey(env, account.id));
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await server.close();
  await stub.close();
  await env.close();
});

describe("what reaches the upstream", () => {
  it("forwards method, path, query and the exact body bytes, with the gateway's request id", async () => {
    const body = '{ "model" :"vllm-primary",\n  "messages":[{"role":"user","content":"Hi \\u00e9"}] }';
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/v1/chat/completions?trace=1&x=%20y",
      headers: { "x-api-key": secret, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
    const received = stub.requests.at(-1);
    expect(received).toMatchObject({ method: "POST", url: "/v1/chat/completions?trace=1&x=%20y", body });
    expect(received?.headers["content-type"]).toBe("application/json");
    expect(received?.headers["x-request-id"]).toBe(res.headers["x-request-id"]);
  });

  it("never sends the client's key upstream, nor any authorization when no UPSTREAM_API_KEY is set", async () => {
    await chat(server.url, { "x-api-key": secret, authorization: `Bearer ${secret}` });
    const received = stub.requests.at(-1);
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(received)).not.toContain(secret);
  });

  it("sends UPSTREAM_API_KEY instead of the client's key", async () => {
    const withKey = await appWith({ UPSTREAM_API_KEY: "upstream-secret-123" });
    const res = await chat(withKey.url, { authorization: `Bearer ${secret}` });
    expect(res.status).toBe(200);
    const received = stub.requests.at(-1);
    expect(received?.headers.authorization).toBe("Bearer upstream-secret-123");
    expect(JSON.stringify(received)).not.toContain(secret);
    // keyward's own look at the upstream's models carries the upstream's key too.
    const listing = stub.requests.filter((r) => r.url === "/v1/models").at(-1);
    expect(listing?.headers.authorization).toBe("Bearer upstream-secret-123");
  });

  it("strips cookies and hop-by-hop headers both ways, and keeps the rest", async () => {
    const res = await chat(server.url, {
      "x-api-key": secret,
      cookie: "console_session=abc",
      connection: "keep-alive, x-hop",
      "x-hop": "drop me",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      te: "trailers",
      "x-client-trace": "keep me",
    });
    const received = stub.requests.at(-1)?.headers ?? {};
    for (const name of ["cookie", "x-hop", "proxy-authorization", "te"])
      expect(received[name]).toBeUndefined();
    expect(received["x-client-trace"]).toBe("keep me");
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.headers["keep-alive"]).not.toBe("timeout=77");
    expect(res.headers["x-upstream-served"]).toBe("yes");
  });
});

describe("what comes back", () => {
  it("passes the upstream's own errors through as sent (400, 404, 500)", async () => {
    const cases = [
      { body: JSON.stringify({ model: STUB_MODEL }), status: 400 },
      { body: JSON.stringify({ model: "nope", messages: [] }), status: 404 },
      { body: JSON.stringify({ model: "boom", messages: [] }), status: 500 },
    ];
    for (const c of cases) {
      const res = await rawRequest(server.url, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "x-api-key": secret, "content-type": "application/json" },
        body: c.body,
      });
      expect(res.status).toBe(c.status);
      expect(res.json().error.type).toMatch(/Error$/); // the upstream's vLLM-style type, not ours
    }
  });

  it("does not follow redirects: the upstream's 302 comes back as is", async () => {
    const before = stub.traffic().length;
    const res = await chat(
      server.url,
      { "x-api-key": secret },
      JSON.stringify({ model: "redirect-me", messages: [] }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/v1/models");
    expect(stub.traffic().length).toBe(before + 1);
  });

  it("answers 502 upstream_unavailable when the upstream refuses connections", async () => {
    const down = await appWith({ UPSTREAM_URL: `http://127.0.0.1:${await closedPort()}` });
    const res = await chat(down.url, { "x-api-key": secret });
    expect(res.status).toBe(502);
    expect(res.json().error).toMatchObject({ type: "api_error", code: "upstream_unavailable" });
    expect(res.headers["x-ratelimit-limit-requests"]).toBe("60");
  });

  it("answers 504 upstream_timeout when the upstream's headers take longer than UPSTREAM_TIMEOUT_MS", async () => {
    const slowStub = await startUpstreamStub();
    closers.push(slowStub.close);
    slowStub.setDelayMs(2_000);
    const slow = await appWith({ UPSTREAM_URL: slowStub.url, UPSTREAM_TIMEOUT_MS: "150" });
    const res = await chat(slow.url, { "x-api-key": secret });
    expect(res.status).toBe(504);
    expect(res.json().error).toMatchObject({ type: "api_error", code: "upstream_timeout" });
  });

  it("lets a stream run longer than UPSTREAM_TIMEOUT_MS once its headers came in time", async () => {
    const quick = await appWith({ UPSTREAM_TIMEOUT_MS: "150" });
    const held = stub.holdNextStream();
    const pending = rawRequest(quick.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret, "content-type": "application/json" },
      body: JSON.stringify({ model: STUB_MODEL, messages: [], stream: true }),
    });
    await held.firstChunkSent;
    // Deliberately longer than the timeout: a body timeout would cut the stream here.
    await new Promise((r) => setTimeout(r, 450));
    held.release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    expect(res.text.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("aborts the upstream request when the client disconnects mid-stream", async () => {
    const held = stub.holdNextStream();
    const abort = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "x-api-key": secret, "content-type": "application/json" },
      body: JSON.stringify({ model: STUB_MODEL, messages: [], stream: true }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    await held.firstChunkSent;
    const reader = res.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    abort.abort();
    await waitFor("the upstream to see the stream cut", () => stub.aborted.includes("/v1/chat/completions"));
    held.release();
  });
});

describe("the metrics hook", () => {
  it("reports each /v1 outcome and the upstream's time to headers to the metrics middleware", async () => {
    const fresh = await appWith({});
    await chat(fresh.url, { "x-api-key": secret });
    await chat(fresh.url, { "x-api-key": "sk-srt-nope" });
    await rawRequest(fresh.url, { path: "/v1/files", headers: { "x-api-key": secret } });
    const metrics = await fetch(`${fresh.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/keyward_v1_requests_total\{[^}]*outcome="ok"[^}]*\} 1/);
    expect(metrics).toMatch(/keyward_v1_requests_total\{[^}]*outcome="invalid_api_key"[^}]*\} 1/);
    expect(metrics).toMatch(/keyward_v1_requests_total\{[^}]*outcome="unknown_endpoint"[^}]*\} 1/);
    expect(metrics).toMatch(/keyward_upstream_duration_seconds_count\{[^}]*\} 1/);
  });
  it("counts and logs a client that left before any answer as 499, not as the 200 it never got", async () => {
    const slowStub = await startUpstreamStub();
    closers.push(slowStub.close);
    slowStub.setDelayMs(2_000);
    const fresh = await appWith({ UPSTREAM_URL: slowStub.url });
    const abort = new AbortController();
    const pending = fetch(`${fresh.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "x-api-key": secret, "x-request-id": "left-early-1", "content-type": "application/json" },
      body: CHAT,
      signal: abort.signal,
    }).catch((err: unknown) => err);
    await waitFor("the request to reach the upstream", () => slowStub.traffic().length === 1);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor("the upstream request to be cut", () => slowStub.aborted.includes("/v1/chat/completions"));
    await waitFor("the access line", () => env.logs.text.includes('"reqId":"left-early-1"'));
    const line = JSON.parse(env.logs.lines.find((l) => l.includes('"reqId":"left-early-1"')) ?? "{}");
    expect(line.res).toEqual({ statusCode: 499 });
    // The client is gone, its socket with it: the line still names its address, the key and the model.
    expect(line.req.ip).toBe("127.0.0.1");
    expect(line).toMatchObject({ model: STUB_MODEL, upstream: slowStub.url });
    expect(line.keyId).toMatch(/^key_/);
    const metrics = await fetch(`${fresh.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /keyward_http_request_duration_seconds_count\{[^}]*route="\/v1\/chat\/completions"[^}]*status="499"[^}]*\} 1/,
    );
    expect(metrics).not.toMatch(/keyward_http_request_duration_seconds_count\{[^}]*status="200"[^}]*\}/);
    expect(metrics).toMatch(/keyward_v1_requests_total\{[^}]*outcome="client_aborted"[^}]*\} 1/);
  });
});

describe("what is refused before anything is forwarded", () => {
  it("answers 404 unknown_endpoint for paths outside the table, and for every escape attempt", async () => {
    const targets = [
      "/v1/fine_tuning/jobs",
      "/v1/files",
      "/v1/models/",
      "/v1/../admin/me",
      "/v1/%2e%2e/admin/me",
      "/v1/%2E%2E/%2E%2E/healthz",
      "/v1/models/../../admin/me",
      "/v1/models/..%2F..%2Fadmin%2Fme",
      "/v1/models/%2e%2e",
      "/v1/models/a/../../../admin",
      "/v1/models/a%5C..%5C..%5Cadmin",
      "/v1//127.0.0.1:1/v1/models",
      "/v1/chat/completions/../../admin/me",
      "/v1/Chat/Completions",
      "/v1",
      "/v1?models",
      "/V1/models",
    ];
    const before = stub.traffic().length;
    for (const path of targets) {
      const res = await rawRequest(server.url, { path, headers: { "x-api-key": secret } });
      expect(res.status, path).toBe(404);
      expect(res.json().error.code, path).toBe("unknown_endpoint");
    }
    expect(stub.traffic().length).toBe(before);
  });

  it("leaves paths that only look like /v1 to the app (404 not_found), and marks /v1 answers nosniff", async () => {
    for (const path of ["/v1x/models", "/v10/models", "/v2/models"]) {
      const res = await rawRequest(server.url, { path, headers: { "x-api-key": secret } });
      expect(res.status, path).toBe(404);
      expect(res.json().error.code, path).toBe("not_found");
    }
    const ok = await rawRequest(server.url, { path: "/v1/models", headers: { "x-api-key": secret } });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
    const refused = await rawRequest(server.url, { path: "/v1/models" });
    expect(refused.status).toBe(401);
    expect(refused.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("never forwards requests aimed at another host (absolute-form or protocol-relative)", async () => {
    const before = stub.traffic().length;
    for (const path of ["http://evil.example/v1/models", "//evil.example/v1/models"]) {
      const res = await rawRequest(server.url, { path, headers: { "x-api-key": secret } });
      expect(res.status, path).toBe(404);
    }
    expect(stub.traffic().length).toBe(before);
  });

  it("answers 405 for a known path with the wrong method", async () => {
    const res = await rawRequest(server.url, {
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret },
    });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST");
    // HEAD gets the same answer without its body, its length still declared.
    const head = await rawRequest(server.url, {
      method: "HEAD",
      path: "/v1/models",
      headers: { "x-api-key": secret },
    });
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe("GET");
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
  });

  it("lets an audio upload up to its own limit (OpenAI's 25 MB by default), past the body limit", async () => {
    const small = await appWith({ PROXY_BODY_LIMIT_BYTES: "1000", PROXY_AUDIO_BODY_LIMIT_BYTES: "8000" });
    const upload = (bytes: number) => {
      const boundary = "keyward-test-boundary";
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="model"\r\n\r\n${STUB_MODEL}\r\n`),
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.wav"\r\ncontent-type: audio/wav\r\n\r\n`,
        ),
        Buffer.alloc(bytes, 1),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return rawRequest(small.url, {
        method: "POST",
        path: "/v1/audio/transcriptions",
        headers: { "x-api-key": secret, "content-type": `multipart/form-data; boundary=${boundary}` },
        body,
      });
    };
    const before = stub.traffic().length;
    expect((await upload(5_000)).status).toBe(200);
    expect(stub.traffic().length).toBe(before + 1);
    const over = await upload(9_000);
    expect(over.status).toBe(413);
    expect(over.json().error.message).toBe("Request body is larger than the limit of 8000 bytes");
    expect(stub.traffic().length).toBe(before + 1);
  });

  it("refuses an audio form giving its model twice (an upstream may read the other one), unforwarded", async () => {
    const boundary = "keyward-test-boundary";
    const field = (name: string, value: string) =>
      `--${boundary}\r\ncontent-disposition: form-data; name=${name}\r\n\r\n${value}\r\n`;
    const before = stub.traffic().length;
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/v1/audio/transcriptions",
      headers: { "x-api-key": secret, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: `${field('"model"', STUB_MODEL)}${field('"model"', "another-model")}--${boundary}--\r\n`,
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({
      code: "validation_failed",
      message: "model: must be given once",
      param: "model",
    });
    expect(stub.traffic().length).toBe(before);
  });

  it("answers 413 for a body over the limit, declared or streamed, and does not forward it", async () => {
    const small = await appWith({ PROXY_BODY_LIMIT_BYTES: "1000" });
    const big = JSON.stringify({
      model: STUB_MODEL,
      messages: [{ role: "user", content: "x".repeat(5_000) }],
    });
    const before = stub.traffic().length;
    const declared = await rawRequest(small.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret, "content-type": "application/json" },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(declared.json().error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    const chunked = await rawRequest(small.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret, "content-type": "application/json", "transfer-encoding": "chunked" },
      body: big,
    });
    expect(chunked.status).toBe(413);
    expect(stub.traffic().length).toBe(before);
    const fits = await rawRequest(small.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "x-api-key": secret, "content-type": "application/json", "transfer-encoding": "chunked" },
      body: CHAT,
    });
    expect(fits.status).toBe(200);
  });
});
