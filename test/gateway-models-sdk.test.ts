import OpenAI, { NotFoundError } from "openai";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { listen, rawRequest } from "./support/gateway-server.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// vLLM's routes through the openai SDK, per-key model access, what the upstream learns about the
// caller, /v1 CORS and the access line, with two upstreams whose models are listed in UPSTREAMS.

let env: TestEnv;
let web: TestApp;
let chatServer: UpstreamStub;
let poolingServer: UpstreamStub;
let server: { url: string; close(): Promise<void> };
let secret: string;
let keyId: string;
let accountId: string;
const ORIGIN = "https://app.example.com";

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  chatServer = await startUpstreamStub({ models: ["vllm-primary"] });
  poolingServer = await startUpstreamStub({ models: ["whisper-small", "bge-reranker"] });
  env = await createTestEnv({
    UPSTREAMS: JSON.stringify([
      { url: chatServer.url, models: ["vllm-primary"] },
      { url: poolingServer.url, models: ["whisper-small", "bge-reranker"] },
    ]),
    V1_CORS_ORIGINS: ORIGIN,
  });
  web = await env.makeApp();
  server = await listen(web.app);
  const account = await createAccount(env);
  accountId = account.id;
  ({ secret, id: keyId } = await insertApiKey(env, account.id));
});
afterAll(async () => {
  await server.close();
  await Promise.all([chatServer.close(), poolingServer.close()]);
  await env.close();
});

describe("vLLM's routes through the openai SDK", () => {
  it("completions.create, plain and streamed", async () => {
    const done = await client(secret).completions.create({ model: "vllm-primary", prompt: "Say hi" });
    expect(done.choices[0]?.text).toBe("Hello there!");
    const stream = await client(secret).completions.create({
      model: "vllm-primary",
      prompt: "Hi",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("Hello there!");
    expect(chatServer.traffic().at(-1)?.url).toBe("/v1/completions");
  });

  it("responses.create", async () => {
    const response = await client(secret).responses.create({ model: "vllm-primary", input: "Say hi" });
    expect(response.output_text).toBe("Hello there!");
    expect(chatServer.traffic().at(-1)?.url).toBe("/v1/responses");
  });

  it("audio.transcriptions.create and translations, routed by the form's model field, bytes untouched", async () => {
    const file = new File([Buffer.from("RIFF-not-really-audio")], "speech.wav", { type: "audio/wav" });
    const heard = await client(secret).audio.transcriptions.create({ model: "whisper-small", file });
    expect(heard.text).toBe("heard by whisper-small");
    const received = poolingServer.traffic().at(-1);
    expect(received?.url).toBe("/v1/audio/transcriptions");
    expect(received?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(received?.body).toContain("RIFF-not-really-audio");
    const translated = await client(secret).audio.translations.create({ model: "whisper-small", file });
    expect(translated.text).toBe("heard by whisper-small");
  });

  it("rerank, score, and tokenize/detokenize (served at the upstream's root)", async () => {
    const post = (path: string, body: object) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const rerank = await post("/v1/rerank", { model: "bge-reranker", query: "q", documents: ["a"] });
    expect(rerank.status).toBe(200);
    expect(((await rerank.json()) as { results: unknown[] }).results).toHaveLength(1);
    const score = await post("/v1/score", { model: "bge-reranker", text_1: "a", text_2: "b" });
    expect(score.status).toBe(200);
    const tokens = await post("/v1/tokenize?trace=1", { model: "vllm-primary", prompt: "Hello world" });
    expect(await tokens.json()).toMatchObject({ count: 2, tokens: [9906, 1917] });
    expect(chatServer.traffic().at(-1)?.url).toBe("/tokenize?trace=1");
    const text = await post("/v1/detokenize", { model: "vllm-primary", tokens: [9906, 1917] });
    expect(await text.json()).toEqual({ prompt: "Hello world" });
    expect(chatServer.traffic().at(-1)?.url).toBe("/detokenize");
  });
});

describe("stored responses, classify, pooling and /v2/rerank", () => {
  it("responses.retrieve and responses.cancel reach the server that holds the response", async () => {
    const created = await client(secret).responses.create({
      model: "vllm-primary",
      input: "Say hi",
      background: true,
    });
    const fetched = await client(secret).responses.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.output_text).toBe("Hello there!");
    expect(chatServer.traffic().at(-1)).toMatchObject({ method: "GET", url: `/v1/responses/${created.id}` });
    const cancelled = await client(secret).responses.cancel(created.id);
    expect(cancelled.status).toBe("cancelled");
    expect(chatServer.traffic().at(-1)).toMatchObject({
      method: "POST",
      url: `/v1/responses/${created.id}/cancel`,
    });
    // Asked of the server that never heard of it, nothing is sent there but the look-up.
    expect(poolingServer.traffic().filter((r) => r.method === "POST" && r.url.includes(created.id))).toEqual(
      [],
    );

    const unknown = await client(secret)
      .responses.retrieve("resp_nobodyhasthis")
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).code).toBe("not_found");
    const oddId = await rawRequest(server.url, {
      path: "/v1/responses/..%2Fmodels",
      headers: { "x-api-key": secret },
    });
    expect(oddId.json().error.code).toBe("unknown_endpoint");
  });

  it("a key limited to other models cannot reach a response made on a server it may not use", async () => {
    const created = await client(secret).responses.create({ model: "vllm-primary", input: "Hi" });
    const user = await createAccountWithSession(env);
    const made = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", `Bearer ${user.token}`)
      .send({ name: "whisper only", models: ["whisper-small"] })
      .expect(201);
    const before = chatServer.requests.length;
    const err = await client(made.body.secret)
      .responses.retrieve(created.id)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(chatServer.requests.length).toBe(before);
  });

  it("classify and pooling go to the upstream's root, /v2/rerank as it is, all under embeddings:read", async () => {
    const post = (path: string, body: object, key = secret) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const classified = await post("/v1/classify", { model: "bge-reranker", input: "great" });
    expect(classified.status).toBe(200);
    expect(((await classified.json()) as { data: { label: string }[] }).data[0]?.label).toBe("positive");
    expect(poolingServer.traffic().at(-1)?.url).toBe("/classify");
    const pooled = await post("/v1/pooling", { model: "bge-reranker", input: "a" });
    expect(pooled.status).toBe(200);
    expect(poolingServer.traffic().at(-1)?.url).toBe("/pooling");
    const reranked = await post("/v2/rerank", { model: "bge-reranker", query: "q", documents: ["a"] });
    expect(reranked.status).toBe(200);
    expect(poolingServer.traffic().at(-1)?.url).toBe("/v2/rerank");
    expect((await post("/v2/other", { model: "bge-reranker" })).status).toBe(404);

    const account = await createAccount(env);
    const chatOnly = await insertApiKey(env, account.id, { permissions: ["chat:read"] });
    for (const path of ["/v1/classify", "/v1/pooling", "/v2/rerank"]) {
      const refused = await post(path, { model: "bge-reranker", input: "a" }, chatOnly.secret);
      expect(refused.status, path).toBe(403);
    }
  });
});

describe("per-key model access", () => {
  it("GET /admin/models lists the models served, each once, to a session and to nobody else", async () => {
    const user = await createAccountWithSession(env);
    const res = await request(web.app)
      .get("/admin/models")
      .set("Authorization", `Bearer ${user.token}`)
      .expect(200);
    expect(res.body).toEqual({
      data: [
        { id: "vllm-primary", owned_by: "keyward" },
        { id: "whisper-small", owned_by: "keyward" },
        { id: "bge-reranker", owned_by: "keyward" },
      ],
    });
    expect((await request(web.app).get("/admin/models")).status).toBe(401);
    const apiKey = await request(web.app).get("/admin/models").set("Authorization", `Bearer ${secret}`);
    expect(apiKey.status).toBe(401);
  });

  it("a key limited to some models sees only those, and gets NotFoundError for the others", async () => {
    const user = await createAccountWithSession(env);
    const made = await request(web.app)
      .post("/admin/keys")
      .set("Authorization", `Bearer ${user.token}`)
      .send({ name: "whisper only", models: ["whisper-small"] })
      .expect(201);
    const limited = client(made.body.secret);
    expect((await limited.models.list()).data.map((m) => m.id)).toEqual(["whisper-small"]);
    const before = chatServer.traffic().length;
    // One at a time, each caught as it is made: a rejection never waits unobserved.
    for (const attempt of [
      () =>
        limited.chat.completions.create({
          model: "vllm-primary",
          messages: [{ role: "user", content: "Hi" }],
        }),
      () => limited.models.retrieve("vllm-primary"),
      () => limited.models.retrieve("no-such-model"),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).code).toBe("model_not_found");
    }
    // Refused here: the model's upstream never heard of it.
    expect(chatServer.traffic().length).toBe(before);
    expect((await limited.models.retrieve("whisper-small")).id).toBe("whisper-small");

    // Widened by PATCH: the very next request sees it.
    await request(web.app)
      .patch(`/admin/keys/${made.body.key.id}`)
      .set("Authorization", `Bearer ${user.token}`)
      .send({ models: ["whisper-small", "vllm-primary"] })
      .expect(200);
    const answer = await limited.chat.completions.create({
      model: "vllm-primary",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(answer.choices[0]?.message.content).toBe("Hello there!");
  });
});

describe("what the upstream learns about the caller", () => {
  it("the key's and account's ids and the client's address, in keyward's headers; a client's own are replaced", async () => {
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: {
        "x-api-key": secret,
        "content-type": "application/json",
        "x-forwarded-for": "203.0.113.66",
        forwarded: "for=203.0.113.66",
        "x-real-ip": "203.0.113.66",
        "x-forwarded-host": "admin.internal",
        "x-forwarded-proto": "https",
        "true-client-ip": "203.0.113.66",
        "cf-connecting-ip": "203.0.113.66",
        "x-client-ip": "203.0.113.66",
        "x-keyward-key-id": "key_someone_else",
        "x-keyward-account-id": "acc_someone_else",
        "x-keyward-admin": "yes",
      },
      body: JSON.stringify({ model: "vllm-primary", messages: [] }),
    });
    expect(res.status).toBe(200);
    const headers = chatServer.traffic().at(-1)?.headers ?? {};
    expect(headers["x-keyward-key-id"]).toBe(keyId);
    expect(headers["x-keyward-account-id"]).toBe(accountId);
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    const claims = ["forwarded", "x-real-ip", "x-forwarded-host", "x-forwarded-proto", "true-client-ip"];
    for (const gone of [...claims, "cf-connecting-ip", "x-client-ip", "x-keyward-admin"]) {
      expect(headers[gone], gone).toBeUndefined();
    }
    expect(JSON.stringify(headers)).not.toContain(secret);
  });

  it("every /v1 access line names the key, the account, the client IP, the model and the upstream", async () => {
    await client(secret).chat.completions.create(
      { model: "vllm-primary", messages: [{ role: "user", content: "Hi" }] },
      { headers: { "x-request-id": "routed-line-1" } },
    );
    await waitFor("the access line", () => env.logs.text.includes('"reqId":"routed-line-1"'));
    const line = JSON.parse(env.logs.lines.find((l) => l.includes('"reqId":"routed-line-1"')) ?? "{}");
    expect(line).toMatchObject({
      keyId,
      accountId,
      model: "vllm-primary",
      upstream: chatServer.url,
      req: { method: "POST", path: "/v1/chat/completions", ip: "127.0.0.1" },
      res: { statusCode: 200 },
    });
  });
});

describe("/v1 CORS", () => {
  it("answers a listed origin's preflight and lets it read answers; other origins get nothing", async () => {
    const preflight = await rawRequest(server.url, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, x-stainless-os",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(preflight.headers["access-control-allow-headers"]).toBe(
      "authorization, content-type, x-stainless-os",
    );
    expect(preflight.headers["access-control-allow-credentials"]).toBeUndefined();

    const list = await fetch(`${server.url}/v1/models`, {
      headers: { origin: ORIGIN, authorization: `Bearer ${secret}` },
    });
    expect(list.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(list.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining-requests");

    const stranger = await rawRequest(server.url, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(stranger.headers["access-control-allow-origin"]).toBeUndefined();
    // Answered without permission (the browser stops there), not refused as a call: a preflight is
    // none, so it is no 405 for OPTIONS, even on a path that does not exist.
    expect(stranger.status).toBe(204);
    expect(stranger.text).toBe("");
    expect(stranger.headers.vary).toMatch(/Origin/);
    const strangerElsewhere = await rawRequest(server.url, {
      method: "OPTIONS",
      path: "/v1/no-such-endpoint",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(strangerElsewhere.status).toBe(204);
    expect(strangerElsewhere.headers["access-control-allow-origin"]).toBeUndefined();
    // An OPTIONS request that is no preflight is a call like any other.
    const plainOptions = await rawRequest(server.url, { method: "OPTIONS", path: "/v1/chat/completions" });
    expect(plainOptions.status).toBe(405);
    const strangerGet = await fetch(`${server.url}/v1/models`, {
      headers: { origin: "https://evil.example", authorization: `Bearer ${secret}` },
    });
    expect(strangerGet.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is off by default", async () => {
    const plain = await listen((await env.makeApp({ config: env.configWith({ V1_CORS_ORIGINS: "" }) })).app);
    const res = await rawRequest(plain.url, {
      method: "OPTIONS",
      path: "/v1/chat/completions",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.status).toBe(204);
    const answer = await fetch(`${plain.url}/v1/models`, { headers: { origin: ORIGIN } });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("vary")).toBeNull();
    await plain.close();
  });
});
