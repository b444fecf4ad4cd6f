import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createGzip, gzipSync } from "node:zlib";
import OpenAI, { RateLimitError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebServer } from "../src/api/server.js";
import { tokenWindowKey } from "../src/gateway/token-limiter.js";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { tokenWindowStart } from "../src/token-limits/token-limit.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { flushUsage } from "../src/usage/flush.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { waitFor } from "./support/wait-for.js";

// Token counting and limits against answers shaped as real deployments give them, through the openai
// SDK: a server that compresses what it may (vLLM behind a reverse proxy with gzip on), and `n`
// choices per request. The stand-in here reports usage as vLLM does: the prompt once, the completion
// tokens of every choice summed.

const MODEL = "vllm-gzip";
const PROMPT_TOKENS = 5;
const CUT_RESPONSE = "resp_cut";

interface Answered {
  n: number;
  maxTokens: number;
  acceptEncoding: string | undefined;
}

/** A vLLM-like chat server that gzips its answers whenever the request's Accept-Encoding allows it. */
function startCompressingUpstream() {
  const received: Answered[] = [];
  let held: Array<() => void> | undefined;
  let breakOff: Promise<void> | undefined;
  let failNext = false;
  let gzipAnyway: Promise<void> | undefined;
  const answer = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    if (req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model", owned_by: "vllm" }] }));
      return;
    }
    if (req.url?.startsWith(`/v1/responses/${CUT_RESPONSE}`)) {
      // A stored response: found when keyward asks, then its streamed retrieval breaks off.
      if (!req.url.includes("stream=true")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: CUT_RESPONSE, object: "response", status: "in_progress", usage: null }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: response.in_progress\ndata: {"type":"response.in_progress"}\n\n`, () =>
        res.socket?.destroy(),
      );
      return;
    }
    const body = JSON.parse(raw) as Record<string, unknown>;
    const n = typeof body.n === "number" ? body.n : 1;
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : 2;
    const usage = {
      prompt_tokens: PROMPT_TOKENS,
      total_tokens: PROMPT_TOKENS + n * maxTokens,
      completion_tokens: n * maxTokens,
    };
    const chunk = (choices: unknown[], extra = {}) =>
      `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: MODEL, choices, ...extra })}\n\n`;
    let text: string;
    let type: string;
    if (body.stream === true && breakOff) {
      // The first chunk, with the running usage if asked for, and then the connection dies.
      const options = body.stream_options as { continuous_usage_stats?: boolean } | undefined;
      const running = { prompt_tokens: PROMPT_TOKENS, total_tokens: PROMPT_TOKENS + 1, completion_tokens: 1 };
      const first = [{ index: 0, delta: { content: "tok" }, finish_reason: null }];
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk(first, options?.continuous_usage_stats ? { usage: running } : {}));
      void breakOff.then(() => res.destroy());
      breakOff = undefined;
      return;
    }
    if (body.stream === true && gzipAnyway) {
      // Compressed whatever the request accepts: the first chunk, flushed, then the rest when let go.
      const gate = gzipAnyway;
      gzipAnyway = undefined;
      res.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip" });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write(chunk([{ index: 0, delta: { content: "tok" }, finish_reason: null }]));
      gzip.flush();
      void gate.then(() => gzip.end("data: [DONE]\n\n"));
      return;
    }
    if (body.stream === true && failNext) {
      // vLLM's way of failing during generation: an error event, then [DONE], all with status 200.
      failNext = false;
      const error = { message: "engine failed", type: "InternalServerError", param: null, code: 500 };
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        `${chunk([{ index: 0, delta: { content: "tok" }, finish_reason: null }])}data: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`,
      );
      return;
    }
    if (body.stream === true) {
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      const words = Array.from({ length: n * maxTokens }, (_, i) =>
        chunk([{ index: i % n, delta: { content: "tok" }, finish_reason: null }]),
      );
      const usageChunk = options?.include_usage ? chunk([], { usage }) : "";
      text = `${words.join("")}${usageChunk}data: [DONE]\n\n`;
      type = "text/event-stream; charset=utf-8";
    } else {
      const choices = Array.from({ length: n }, (_, index) => ({
        index,
        message: { role: "assistant", content: "tok ".repeat(maxTokens).trim() },
        finish_reason: "length",
      }));
      text = JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: MODEL,
        choices,
        usage,
      });
      type = "application/json";
    }
    if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      res.writeHead(200, { "content-type": type, "content-encoding": "gzip" });
      res.end(gzipSync(text));
    } else {
      res.writeHead(200, { "content-type": type });
      res.end(text);
    }
  };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      if (req.method === "GET") return answer(req, res, raw);
      const body = JSON.parse(raw) as { n?: number; max_tokens?: number };
      received.push({
        n: body.n ?? 1,
        maxTokens: body.max_tokens ?? 2,
        acceptEncoding: req.headers["accept-encoding"],
      });
      if (held) held.push(() => answer(req, res, raw));
      else answer(req, res, raw);
    });
  });
  return {
    received,
    /** The next stream is gzipped whatever was asked: one chunk, and the rest once `when` resolves. */
    gzipNextStream(when: Promise<void>) {
      gzipAnyway = when;
    },
    /** The next stream sends one chunk, then vLLM's error event and [DONE]. */
    failNextStream() {
      failNext = true;
    },
    /** The next stream sends one chunk, then its connection is cut once `when` resolves. */
    breakOffNext(when: Promise<void>) {
      breakOff = when;
    },
    /** Holds chat answers until release(): requests are recorded as they arrive. */
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let env: TestEnv;
let upstream: ReturnType<typeof startCompressingUpstream>;
let upstreamUrl: string;
let web: { url: string; close(): Promise<void> };
let redis: ReturnType<typeof connectRedis>;

const sdk = (baseURL: string, apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0 });
const hello = [{ role: "user" as const, content: "Hello!" }];

beforeAll(async () => {
  upstream = startCompressingUpstream();
  upstreamUrl = await upstream.start();
  env = await createTestEnv({ UPSTREAM_URL: upstreamUrl });
  web = await listen((await env.makeApp()).app);
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await web?.close();
  await redis?.quit();
  await upstream?.close();
  await env?.close();
});

/** Waits (bounded) until a key's finished requests reach the buffer. */
async function recorded(keyId: string, requests: number, day = utcDay(new Date())): Promise<void> {
  const field = `c:${keyId}:${day}`;
  const until = Date.now() + 5_000;
  while (Number(await redis.hget(pendingUsageKey(env.prefix), field)) < requests) {
    if (Date.now() > until) throw new Error(`${keyId}: fewer than ${requests} requests recorded`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function usageOf(keyId: string) {
  await flushUsage({
    database: env.database,
    redis,
    config: env.config,
    logger: env.logger,
    clock: { now: () => new Date() },
  });
  const rows = await env.database.sql<
    { answered: string; upstream_errors: string; prompt_tokens: string; completion_tokens: string }[]
  >`select answered, upstream_errors, prompt_tokens, completion_tokens
    from key_model_usage_daily where key_id = ${keyId}`;
  return rows.map((r) => ({
    answered: Number(r.answered),
    upstream_errors: Number(r.upstream_errors),
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
  }));
}

describe("an upstream that compresses its answers", () => {
  it("gives a stream that did not ask for usage the upstream's very chunks, and counts its tokens", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    const body = { model: MODEL, messages: hello, stream: true as const, max_tokens: 3 };
    const chunks = async (baseURL: string, apiKey: string) => {
      const out: unknown[] = [];
      for await (const chunk of await sdk(baseURL, apiKey).chat.completions.create(body)) out.push(chunk);
      return out;
    };
    const direct = await chunks(upstreamUrl, "upstream");
    // The SDK's fetch asks for compressed answers, and this upstream gives them.
    expect(upstream.received.at(-1)?.acceptEncoding).toMatch(/gzip/);
    const through = await chunks(web.url, key.secret);
    expect(through).toEqual(direct);
    expect(through.every((c) => (c as { choices: unknown[] }).choices.length === 1)).toBe(true);
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 1, upstream_errors: 0, prompt_tokens: PROMPT_TOKENS, completion_tokens: 3 },
    ]);
  });

  it("counts the tokens of a plain chat completion", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    const answer = await sdk(web.url, key.secret).chat.completions.create({ model: MODEL, messages: hello });
    expect(answer.usage?.completion_tokens).toBe(2);
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 1, upstream_errors: 0, prompt_tokens: PROMPT_TOKENS, completion_tokens: 2 },
    ]);
  });
  it("passes on a stream compressed although keyward asked for none as it comes, counted as unreadable", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    let letGo = () => {};
    upstream.gzipNextStream(new Promise<void>((resolve) => (letGo = resolve)));
    const response = await fetch(`${web.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key.secret}` },
      body: JSON.stringify({ model: MODEL, messages: hello, stream: true }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // The first event arrives while the upstream still holds the rest back.
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toMatch(/^data: \{"id":"chatcmpl-1"/);
    letGo();
    while (!(await reader.read()).done);
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 1, upstream_errors: 0, prompt_tokens: 0, completion_tokens: 0 },
    ]);
    const [row] = await env.database.sql<{ requests_without_usage: string }[]>`
      select requests_without_usage from key_model_usage_daily where key_id = ${key.id}`;
    expect(row?.requests_without_usage).toBe("1");
  });
});

describe("a request for several choices", () => {
  it("reserves max_tokens for each of its n choices: concurrent requests overrun a limit by at most one reservation", async () => {
    const limit = 300;
    const key = await insertApiKey(env, (await createAccount(env)).id, { tokenLimitPerMinute: limit });
    const body = { model: MODEL, messages: hello, max_tokens: 10, n: 5 };
    const perRequest = PROMPT_TOKENS + 5 * 10;
    // Time stands still inside one token window, whatever the wall clock does meanwhile.
    const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1_000));
    const still = await listen((await env.makeApp({ clock })).app);
    upstream.hold();
    const calls: Promise<unknown>[] = [];
    try {
      // One after another, each in flight (held at the upstream) or refused before the next is sent.
      for (let i = 0; i < 8; i++) {
        const before = upstream.received.length;
        const call = sdk(still.url, key.secret).chat.completions.create(body);
        calls.push(call);
        let refused = false;
        call.catch(() => {
          refused = true;
        });
        const until = Date.now() + 5_000;
        while (!refused && upstream.received.length === before) {
          if (Date.now() > until)
            throw new Error(`request ${i} neither reached the upstream nor was refused`);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    } finally {
      upstream.release();
    }
    const results = await Promise.allSettled(calls);
    await still.close();
    const admitted = results.filter((r) => r.status === "fulfilled").length;
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RateLimitError);
    const sent = JSON.stringify({ messages: hello, model: MODEL, max_tokens: 10, n: 5 });
    const reservation = Math.ceil(Buffer.byteLength(sent) / 4) + 5 * 10;
    expect(admitted).toBeGreaterThan(0);
    expect(admitted * perRequest).toBeLessThanOrEqual(limit + reservation);
    await recorded(key.id, 8, utcDay(clock.now()));
    expect(await usageOf(key.id)).toEqual([
      {
        answered: admitted,
        upstream_errors: 0,
        prompt_tokens: PROMPT_TOKENS * admitted,
        completion_tokens: 50 * admitted,
      },
    ]);
  });
});

describe("an upstream that breaks off its answer", () => {
  it("counts a stream cut by the upstream as an upstream error, with the tokens it reported so far", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    let cut = () => {};
    upstream.breakOffNext(new Promise<void>((resolve) => (cut = resolve)));
    const stream = await sdk(web.url, key.secret).chat.completions.create({
      model: MODEL,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true } as { include_usage: boolean },
    });
    const received: unknown[] = [];
    const read = (async () => {
      for await (const chunk of stream) {
        received.push(chunk);
        cut();
      }
    })();
    await expect(read).rejects.toThrow();
    expect(received).toHaveLength(1);
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 0, upstream_errors: 1, prompt_tokens: PROMPT_TOKENS, completion_tokens: 1 },
    ]);
  });
});

describe("an upstream that fails during generation", () => {
  it("counts a stream ending on an error event as an upstream error, and passes the event on", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    const body = { model: MODEL, messages: hello, stream: true as const };
    const events = async (baseURL: string, apiKey: string) => {
      upstream.failNextStream();
      const out: unknown[] = [];
      const read = async () => {
        for await (const chunk of await sdk(baseURL, apiKey).chat.completions.create(body)) out.push(chunk);
      };
      // The SDK turns the error event into an APIError.
      await expect(read()).rejects.toThrow(/engine failed/);
      return out;
    };
    expect(await events(web.url, key.secret)).toEqual(await events(upstreamUrl, "upstream"));
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 0, upstream_errors: 1, prompt_tokens: 0, completion_tokens: 0 },
    ]);
  });
});

describe("a client that leaves before its request is forwarded", () => {
  it("is charged no prompt tokens when it gave up waiting for a slot at a busy upstream", async () => {
    const config = env.configWith({
      UPSTREAMS: JSON.stringify([{ url: upstreamUrl, max_concurrency: 1 }]),
      UPSTREAM_QUEUE_TIMEOUT_MS: "60000",
    });
    const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1_000));
    const server = createWebServer((await env.makeApp({ config, clock })).app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const busyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const connections = () => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
    const key = await insertApiKey(env, (await createAccount(env)).id);
    const body = { model: MODEL, messages: hello, max_tokens: 2 };
    const window = tokenWindowKey(env.prefix, key.id, tokenWindowStart(clock.now().getTime()));
    const reservation = Math.ceil(Buffer.byteLength(JSON.stringify(body)) / 4) + 2;
    const before = upstream.received.length;
    upstream.hold();
    try {
      const first = sdk(busyUrl, key.secret).chat.completions.create(body);
      await waitFor("the first request at the upstream", () => upstream.received.length > before);
      const leaving = new AbortController();
      const second = sdk(busyUrl, key.secret).chat.completions.create(body, { signal: leaving.signal });
      second.catch(() => {});
      // Admitted (its reservation is in the window) and waiting for the upstream's one slot.
      await waitFor("the second reservation", async () => Number(await redis.get(window)) >= 2 * reservation);
      leaving.abort();
      await expect(second).rejects.toThrow();
      // keyward has seen it go (its connection closed) before the upstream's slot comes free.
      await waitFor("the second client's connection to close", async () => (await connections()) === 1);
      upstream.release();
      await first;
    } finally {
      upstream.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await recorded(key.id, 2, utcDay(clock.now()));
    // The upstream saw one request: only its tokens are counted.
    expect(upstream.received.length - before).toBe(1);
    // A client that left counts as answered (neither the upstream's error nor keyward's refusal), and
    // the one that left before it was sent had no answer to read: it is not a request without usage.
    expect(await usageOf(key.id)).toEqual([
      { answered: 2, upstream_errors: 0, prompt_tokens: PROMPT_TOKENS, completion_tokens: 2 },
    ]);
    const [row] = await env.database.sql<{ requests_without_usage: string }[]>`
      select requests_without_usage from key_model_usage_daily where key_id = ${key.id}`;
    expect(row?.requests_without_usage).toBe("0");
  });
});

describe("a stored response's streamed retrieval", () => {
  it("counts as an upstream error when the upstream breaks it off, as any other answer", async () => {
    const key = await insertApiKey(env, (await createAccount(env)).id);
    const res = await fetch(`${web.url}/v1/responses/${CUT_RESPONSE}?stream=true`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await recorded(key.id, 1);
    expect(await usageOf(key.id)).toEqual([
      { answered: 0, upstream_errors: 1, prompt_tokens: 0, completion_tokens: 0 },
    ]);
  });
});
