import OpenAI, { RateLimitError } from "openai";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { flushUsage } from "../src/usage/flush.js";
import { freePort } from "./support/child-processes.js";
import { createAccount, createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { listen, rawRequest } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { promptTokensOf } from "./support/upstream-usage.js";
import { waitFor } from "./support/wait-for.js";

// Token counting through the openai SDK, against an upstream stand-in that reports usage as vLLM does,
// with two web processes (apps with their own connections and gateways) on one PostgreSQL and Redis.

let env: TestEnv;
let stub: UpstreamStub;
let servers: Array<{ url: string; close(): Promise<void> }>;
let redis: ReturnType<typeof connectRedis>;

/** The address of web process n (of two). */
const web = (n: number) => servers[n % 2]?.url ?? "";
const sdk = (baseURL: string, apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0 });
const hello = [{ role: "user" as const, content: "Hello!" }];

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  servers = [await listen((await env.makeApp()).app), await listen((await env.makeApp()).app)];
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await redis?.quit();
  await stub.close();
  await env.close();
});

const today = () => utcDay(new Date());

/** Waits (bounded) until a key's finished requests reach the buffer: they are recorded just after the answer. */
async function recorded(keyId: string, requests: number): Promise<void> {
  const field = `c:${keyId}:${today()}`;
  const until = Date.now() + 5_000;
  while (Number(await redis.hget(pendingUsageKey(env.prefix), field)) < requests) {
    if (Date.now() > until) throw new Error(`${keyId}: fewer than ${requests} requests recorded`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const flush = (options = {}) =>
  flushUsage(
    {
      database: env.database,
      redis,
      config: env.config,
      logger: env.logger,
      clock: { now: () => new Date() },
    },
    options,
  );

async function usageRow(keyId: string) {
  const rows = await env.database.sql<
    {
      model: string;
      answered: string;
      refused: string;
      upstream_errors: string;
      prompt_tokens: string;
      completion_tokens: string;
      requests_without_usage: string;
    }[]
  >`select model, answered, refused, upstream_errors, prompt_tokens, completion_tokens, requests_without_usage
    from key_model_usage_daily where key_id = ${keyId} order by model`;
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === "model" ? v : Number(v)])),
  );
}

/** SSE bytes with the per-request id made equal, so two answers can be compared byte for byte. */
const sameIds = (text: string) => text.replace(/chatcmpl-\d+/g, "chatcmpl-X");

describe("token usage through the openai SDK", () => {
  it("counts a chat completion as the upstream reported it and sends the token headers", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const { data, response } = await sdk(web(0), key.secret)
      .chat.completions.create({ model: STUB_MODEL, messages: hello })
      .withResponse();
    expect(data.usage).toEqual({ prompt_tokens: 4, total_tokens: 7, completion_tokens: 3 });
    expect(response.headers.get("x-ratelimit-limit-tokens")).toBe("40000");
    expect(Number(response.headers.get("x-ratelimit-remaining-tokens"))).toBeLessThan(40_000);
    // Go-style durations as OpenAI sends them: 20ms, 1s, and 1m0s when the window has just begun.
    expect(response.headers.get("x-ratelimit-reset-tokens")).toMatch(/^(\d+ms|\d+s|\d+m\d+s)$/);
    await recorded(key.id, 1);
    await flush();
    expect(await usageRow(key.id)).toEqual([
      {
        model: STUB_MODEL,
        answered: 1,
        refused: 0,
        upstream_errors: 0,
        prompt_tokens: 4,
        completion_tokens: 3,
        requests_without_usage: 0,
      },
    ]);
  });

  it("gives a stream that did not ask for usage exactly the chunks and bytes it gets from the upstream itself", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const body = { model: STUB_MODEL, messages: hello, stream: true as const };
    const chunks = async (baseURL: string, apiKey: string) => {
      const out: unknown[] = [];
      for await (const chunk of await sdk(baseURL, apiKey).chat.completions.create(body))
        out.push({ ...chunk, id: "X" });
      return out;
    };
    const direct = await chunks(stub.url, "upstream");
    const through = await chunks(web(1), key.secret);
    expect(through).toEqual(direct);
    expect(direct.every((c) => (c as { usage?: unknown }).usage === undefined)).toBe(true);
    // keyward asked the upstream for usage on the client's behalf.
    expect(JSON.parse(stub.requests.at(-1)?.body ?? "{}").stream_options).toEqual({ include_usage: true });
    const raw = (base: string, auth: string) =>
      rawRequest(base, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: JSON.stringify(body),
      });
    const [bare, proxied] = [await raw(stub.url, "x"), await raw(web(0), key.secret)];
    expect(sameIds(proxied.text)).toBe(sameIds(bare.text));
    await recorded(key.id, 2);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([
      { answered: 2, prompt_tokens: 8, completion_tokens: 6, requests_without_usage: 0 },
    ]);
  });

  it("passes the usage chunk to a stream that asked for it, unchanged, and counts it", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const body = {
      model: STUB_MODEL,
      messages: hello,
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const chunks = async (baseURL: string, apiKey: string) => {
      const out: unknown[] = [];
      for await (const chunk of await sdk(baseURL, apiKey).chat.completions.create(body))
        out.push({ ...chunk, id: "X" });
      return out;
    };
    const direct = await chunks(stub.url, "upstream");
    const through = await chunks(web(0), key.secret);
    expect(through).toEqual(direct);
    expect(through.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 3 } });
    await recorded(key.id, 1);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([{ answered: 1, prompt_tokens: 4, completion_tokens: 3 }]);
  });

  it("reads stream_options as vLLM does: {} asks for usage (vLLM's default), include_usage null does not", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const raw = (base: string, auth: string, body: string) =>
      rawRequest(base, {
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body,
      });
    const usageChunk = /"choices":\[\],.*"usage":\{/;
    for (const [options, asked] of [
      ["{}", true],
      ['{"include_usage":null}', false],
    ] as const) {
      const body = `{"model":"${STUB_MODEL}","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":${options}}`;
      const bare = await raw(stub.url, "x", body);
      const proxied = await raw(web(0), key.secret, body);
      expect(sameIds(proxied.text), options).toBe(sameIds(bare.text));
      expect(usageChunk.test(bare.text), options).toBe(asked);
      // A client that asked is forwarded byte for byte; for one that did not, keyward asked.
      const forwarded = stub.requests.at(-1)?.body ?? "";
      if (asked) expect(forwarded).toBe(body);
      else expect(JSON.parse(forwarded).stream_options).toEqual({ include_usage: true });
    }
    await recorded(key.id, 2);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([{ answered: 2, requests_without_usage: 0 }]);
  });

  it("passes a streamed Responses API answer event for event and counts its input and output tokens", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const input = "Tell me something about tokens";
    const events = async (baseURL: string, apiKey: string) => {
      const out: string[] = [];
      const stream = await sdk(baseURL, apiKey).responses.create({ model: STUB_MODEL, input, stream: true });
      // Ids differ from one answer to the next; everything else must be the same.
      for await (const e of stream) out.push(JSON.stringify(e).replace(/(resp|msg)_\d+/g, "$1_X"));
      return out;
    };
    const before = stub.usage.reported.length;
    const direct = await events(stub.url, "upstream");
    const through = await events(web(1), key.secret);
    expect(through).toEqual(direct);
    expect(direct.map((e) => JSON.parse(e).type)).toContain("response.output_text.delta");
    const completed = JSON.parse(through.at(-1) ?? "{}");
    expect(completed.type).toBe("response.completed");
    expect(completed.response.usage).toMatchObject({ input_tokens: 5, output_tokens: 3 });
    // keyward sent the body as the client did: the Responses API has no stream_options to add.
    expect(JSON.parse(stub.requests.at(-1)?.body ?? "{}")).toEqual({
      model: STUB_MODEL,
      input,
      stream: true,
    });
    const [, reported] = stub.usage.reported.slice(before);
    await recorded(key.id, 1);
    await flush();
    expect(await usageRow(key.id)).toEqual([
      {
        model: STUB_MODEL,
        answered: 1,
        refused: 0,
        upstream_errors: 0,
        prompt_tokens: reported?.promptTokens,
        completion_tokens: reported?.completionTokens,
        requests_without_usage: 0,
      },
    ]);
  });

  it("charges a client that leaves mid-stream what the upstream reported so far (continuous usage)", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const messages = [{ role: "user" as const, content: "tell me a long story" }];
    const held = stub.holdNextStream();
    const abortedBefore = stub.aborted.length;
    const stream = await sdk(web(1), key.secret).chat.completions.create({
      model: STUB_MODEL,
      messages,
      stream: true,
      stream_options: {
        include_usage: true,
        continuous_usage_stats: true,
      } as OpenAI.ChatCompletionStreamOptions,
    });
    const seen: Array<{ usage?: { completion_tokens: number } | null }> = [];
    for await (const chunk of stream) {
      seen.push(chunk as (typeof seen)[number]);
      if (seen.length === 2) break; // the SDK aborts the request
    }
    await held.firstChunkSent;
    await waitFor("the upstream to see the stream cut", () => stub.aborted.length > abortedBefore);
    held.release();
    expect(seen[1]?.usage?.completion_tokens).toBe(1);
    await recorded(key.id, 1);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([
      {
        answered: 1,
        prompt_tokens: promptTokensOf({ messages }),
        completion_tokens: 1,
        requests_without_usage: 0,
      },
    ]);
  });

  it("charges a client that leaves before any usage its prompt, estimated from the body", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const held = stub.holdNextStream();
    const stream = await sdk(web(0), key.secret).chat.completions.create({
      model: STUB_MODEL,
      messages: hello,
      stream: true,
    });
    const abortedBefore = stub.aborted.length;
    for await (const _chunk of stream) break;
    await held.firstChunkSent;
    await waitFor("the upstream to see the stream cut", () => stub.aborted.length > abortedBefore);
    held.release();
    // What keyward received: the upstream's body less the member keyward added.
    const sent =
      Buffer.byteLength(stub.requests.at(-1)?.body ?? "") - '"stream_options":{"include_usage":true},'.length;
    await recorded(key.id, 1);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([
      { answered: 1, prompt_tokens: Math.ceil(sent / 4), completion_tokens: 0, requests_without_usage: 1 },
    ]);
  });

  it("counts refusals and upstream errors by outcome, and a refused key is no longer 'never used'", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id, { permissions: ["chat:read"] });
    const client = sdk(web(0), key.secret);
    await expect(client.embeddings.create({ model: STUB_MODEL, input: "x" })).rejects.toThrow();
    // The upstream refuses a chat without messages (400): an upstream error, under the model asked for.
    await expect(
      client.chat.completions.create({ model: STUB_MODEL, messages: "not a list" as never }),
    ).rejects.toThrow();
    // A model the upstream does not list (the single UPSTREAM_URL takes every model; it answers 404) is
    // counted without its client-chosen name.
    await expect(client.chat.completions.create({ model: "made-up", messages: hello })).rejects.toThrow();
    await recorded(key.id, 3);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([
      { model: "", refused: 1, upstream_errors: 1, answered: 0 },
      { model: STUB_MODEL, upstream_errors: 1, answered: 0, prompt_tokens: 0 },
    ]);
    const [row] = await env.database.sql<{ last_used_at: string | null }[]>`
      select last_used_at from api_keys where id = ${key.id}`;
    expect(row?.last_used_at).not.toBeNull();
  });
  it("counts keyward's 502s while no upstream can be reached as upstream errors, models list included", async () => {
    // A newcomer's first steps: UPSTREAM_URL points at nothing yet, GET /v1/models then a chat.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const app = await env.makeApp({ config: env.configWith({ UPSTREAM_URL: nowhere }) });
    const server = await listen(app.app);
    try {
      const user = await createAccountWithSession(env);
      const key = await insertApiKey(env, user.id);
      const client = sdk(server.url, key.secret);
      const models = await client.models.list().catch((e) => e);
      const chat = await client.chat.completions
        .create({ model: STUB_MODEL, messages: hello })
        .catch((e) => e);
      for (const err of [models, chat]) {
        expect(err.status).toBe(502);
        expect(err.code).toBe("upstream_unavailable");
      }
      await recorded(key.id, 2);
      await flush();
      const usage = await request(app.app)
        .get(`/admin/keys/${key.id}/usage?days=1`)
        .set("Authorization", `Bearer ${user.token}`)
        .expect(200);
      expect(usage.body.data[0]).toMatchObject({
        requests: 2,
        by_model: [{ model: null, requests: 2, answered: 0, refused: 0, upstream_errors: 2 }],
      });
    } finally {
      await server.close();
    }
  });
});

describe("token limits", () => {
  it("concurrent requests against a small limit overrun it by at most one reservation", async () => {
    const account = await createAccount(env);
    const limit = 100;
    const key = await insertApiKey(env, account.id, { tokenLimitPerMinute: limit });
    const request = { model: STUB_MODEL, messages: hello, max_tokens: 3 };
    const estimate = Math.ceil(Buffer.byteLength(JSON.stringify(request)) / 4) + 3;
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        sdk(web(i % 2), key.secret)
          .chat.completions.create(request)
          .withResponse(),
      ),
    );
    const admitted = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).code).toBe("rate_limit_exceeded");
      expect((err as RateLimitError).headers?.get("retry-after")).toMatch(/^\d+$/);
      expect((err as RateLimitError).headers?.get("x-ratelimit-limit-tokens")).toBe(String(limit));
      expect((err as RateLimitError).headers?.get("x-ratelimit-remaining-tokens")).toBe("0");
    }
    // Each admitted request used 7 tokens (4 + 3); together they stay within one reservation of the limit.
    expect(admitted * 7).toBeLessThanOrEqual(limit + estimate);
    await recorded(key.id, 24);
    await flush();
    expect(await usageRow(key.id)).toMatchObject([
      {
        model: STUB_MODEL,
        answered: admitted,
        refused: 24 - admitted,
        prompt_tokens: 4 * admitted,
        completion_tokens: 3 * admitted,
      },
    ]);
  });
});

describe("totals", () => {
  it("agree to the token with what the upstream reported, across two web processes and a flush that died", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const before = stub.usage.reported.length;
    for (let i = 0; i < 6; i++) {
      const client = sdk(web(i % 2), key.secret);
      const messages = [{ role: "user" as const, content: `question number ${i} ${"word ".repeat(i)}` }];
      if (i % 3 === 0)
        await client.chat.completions.create({ model: STUB_MODEL, messages, max_tokens: 5 + i });
      else if (i % 3 === 1) {
        for await (const _c of await client.chat.completions.create({
          model: STUB_MODEL,
          messages,
          stream: true,
          max_tokens: 4 + i,
        })) {
          // read to the end
        }
      } else
        await client.embeddings.create({ model: STUB_MODEL, input: ["a", "b", "c"].slice(0, (i % 3) + 1) });
    }
    await recorded(key.id, 6);
    // The worker dies after handing the batch over, before writing it; the next run finishes it.
    await expect(flush({ failAfterBatches: 0 })).rejects.toThrow(/injected/);
    await flush();
    await flush();
    const reported = stub.usage.reported.slice(before).filter((r) => r.final);
    const sum = (f: (r: (typeof reported)[number]) => number) => reported.reduce((n, r) => n + f(r), 0);
    expect(reported).toHaveLength(6);
    expect(await usageRow(key.id)).toMatchObject([
      {
        answered: 6,
        prompt_tokens: sum((r) => r.promptTokens),
        completion_tokens: sum((r) => r.completionTokens),
      },
    ]);
  });
});
