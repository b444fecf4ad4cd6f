import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

// Ways a client could have its tokens go unmetered, each closed: a `stream` or usage flag of a type
// vLLM reads as true and keyward would not (refused, as OpenAI refuses it), `stream_options` written with
// escapes (read as the upstream reads it), and an upstream that reports no usage at all (the request
// keeps its reservation against the limit, except on the audio routes, whose answers count seconds).

const SILENT_MODEL = "silent-model";
let env: TestEnv;
let stub: UpstreamStub;
let silent: Server;
let silentUrl: string;
let app: Awaited<ReturnType<TestEnv["makeApp"]>>["app"];
let redis: ReturnType<typeof connectRedis>;
// Standing still a second into a minute: the requests of a test share one token window, whenever it runs.
const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1_000));

/**
 * Waits (bounded) until a key's finished requests reach the usage buffer. A request's settlement goes to
 * Redis in the same script call as its usage, so once its usage is there, so is its settlement.
 */
async function settled(keyId: string, requests: number): Promise<void> {
  const field = `c:${keyId}:${utcDay(clock.now())}`;
  const until = Date.now() + 5_000;
  while (Number(await redis.hget(pendingUsageKey(env.prefix), field)) < requests) {
    if (Date.now() > until) throw new Error(`${keyId}: fewer than ${requests} requests recorded`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An OpenAI-compatible server that streams chat completions and never reports usage, whatever is asked. */
function startSilentUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: SILENT_MODEL, object: "model" }] }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = {
        id: "c1",
        object: "chat.completion.chunk",
        model: SILENT_MODEL,
        choices: [] as unknown[],
      };
      chunk.choices = [{ index: 0, delta: { content: "word " }, finish_reason: null }];
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      res.end("data: [DONE]\n\n");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  stub = await startUpstreamStub();
  silent = await startSilentUpstream();
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  env = await createTestEnv({ UPSTREAMS: JSON.stringify([{ url: stub.url }, { url: silentUrl }]) });
  app = (await env.makeApp({ clock })).app;
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await redis?.quit();
  await stub.close();
  await new Promise((resolve) => silent.close(resolve));
  await env.close();
});

const chat = (secret: string, body: string) =>
  request(app)
    .post("/v1/chat/completions")
    .set("authorization", `Bearer ${secret}`)
    .set("content-type", "application/json")
    .send(body);

describe("token metering loopholes", () => {
  it("refuses a streaming flag of a type vLLM would read as true, forwarding nothing", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const before = stub.requests.length;
    for (const [body, param] of [
      [`{"model":"${STUB_MODEL}","stream":1,"messages":[]}`, "stream"],
      [`{"model":"${STUB_MODEL}","stream":"true","messages":[]}`, "stream"],
      [
        `{"model":"${STUB_MODEL}","stream":true,"stream_options":{"include_usage":"true"},"messages":[]}`,
        "stream_options.include_usage",
      ],
    ] as const) {
      const res = await chat(key.secret, body);
      expect(res.status, body).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param });
      expect(res.body.error.message).toBe(`Invalid type for '${param}': expected a boolean`);
    }
    expect(stub.requests.length).toBe(before);
  });

  it("asks for usage where the client wrote stream_options with escapes, and strips the chunk", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const body = `{"model":"${STUB_MODEL}","stream":true,"stre\\u0061m_options":{"include_usage":false},"messages":[{"role":"user","content":"Hi"}]}`;
    const res = await chat(key.secret, body);
    expect(res.status).toBe(200);
    const forwarded = JSON.parse(stub.requests.at(-1)?.body ?? "{}");
    expect(forwarded.stream_options).toEqual({ include_usage: true });
    // The client asked for no usage, and gets none.
    expect(res.text).not.toContain('"usage"');
    expect(res.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("keeps the reservation of an answer whose usage it cannot read, so the limit still holds", async () => {
    const account = await createAccount(env);
    const limit = 200;
    const key = await insertApiKey(env, account.id, { tokenLimitPerMinute: limit });
    const body = JSON.stringify({ model: SILENT_MODEL, stream: true, max_tokens: 60, messages: [] });
    const estimate = Math.ceil(Buffer.byteLength(body) / 4) + 60;
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await chat(key.secret, body);
      statuses.push(res.status);
      remaining.push(String(res.headers["x-ratelimit-remaining-tokens"]));
      await settled(key.id, i + 1);
    }
    // Each admitted request is charged its estimate, and one is admitted while the window is under the
    // limit: three of 77 tokens for a limit of 200 (reading no usage as 0 tokens would admit all six).
    const admitted = Math.ceil(limit / estimate);
    expect(admitted).toBeLessThan(6);
    expect(statuses).toEqual([...Array(admitted).fill(200), ...Array(6 - admitted).fill(429)]);
    expect(remaining[1]).toBe(String(limit - 2 * estimate));
  });

  it("charges an audio answer that counts seconds, not tokens, no tokens: the request limit bounds it", async () => {
    const account = await createAccount(env);
    const limit = 2_000;
    const key = await insertApiKey(env, account.id, { tokenLimitPerMinute: limit });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(app)
        .post("/v1/audio/transcriptions")
        .set("authorization", `Bearer ${key.secret}`)
        .field("model", STUB_MODEL)
        .attach("file", Buffer.alloc(2_000, 1), "a.wav");
      expect(res.status).toBe(200);
      remaining.push(String(res.headers["x-ratelimit-remaining-tokens"]));
      await settled(key.id, i + 1);
    }
    // Each reserves the completion estimate (1,024) and gives it all back: kept, the third was a 429.
    expect(remaining).toEqual(Array(3).fill(String(limit - 1_024)));
  });
});
