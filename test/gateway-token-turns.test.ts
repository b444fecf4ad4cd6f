import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import type { Redis } from "ioredis";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenWindowKey } from "../src/gateway/token-limiter.js";
import { connectRedis } from "../src/redis/client.js";
import { tokenWindowStart } from "../src/token-limits/token-limit.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { monitorRedis, type RedisMonitor } from "./support/redis-monitor.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// A key this process already knows has its tokens reserved in the same Redis script call as its check
// (gateway.ts, forward-by-model.ts `start`), and a request refused after that gives them back. Watched
// from Redis's side (MONITOR), on a clock fixed mid-minute so that the token window is known.

const NOW = new Date("2026-03-10T12:00:30.000Z");
let env: TestEnv;
let stub: UpstreamStub;
let web: TestApp;
let redis: Redis;
let monitor: RedisMonitor;

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url, PROXY_BODY_LIMIT_BYTES: "4096" });
  web = await env.makeApp({ clock: { now: () => new Date(NOW) } });
  redis = connectRedis(env.config);
  monitor = await monitorRedis(env.config.redisUrl, env.prefix);
});
afterAll(async () => {
  monitor?.close();
  await redis?.quit();
  await web?.close();
  await stub.close();
  await env.close();
});

/** The arguments of every script call of this file's prefix, as Redis received them. */
const scriptCalls = () => monitor.commands.filter((args) => /^eval/i.test(args[0] ?? ""));

let marks = 0;
/**
 * The number of script calls so far, once MONITOR has shown every command Redis has already run: its
 * lines arrive a little after the commands, and on a busy machine a call run before this moment (a
 * reservation given back, say) could otherwise be taken for one run after it.
 */
async function scriptCallsSoFar(): Promise<number> {
  const mark = `${env.prefix}:mark:${++marks}`;
  await redis.echo(mark);
  await waitFor("MONITOR to show every command run so far", () =>
    monitor.commands.some((args) => args[1] === mark),
  );
  return scriptCalls().length;
}

const chat = (secret: string) =>
  request(web.app)
    .post("/v1/chat/completions")
    .set("Authorization", `Bearer ${secret}`)
    .send({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }], max_tokens: 3 });

/** The tokens counted in the key's window of NOW. */
const windowTokens = async (keyId: string) =>
  Number((await redis.get(tokenWindowKey(env.prefix, keyId, tokenWindowStart(NOW.getTime())))) ?? 0);

const tokensOf = (keyId: string) => tokenWindowKey(env.prefix, keyId, tokenWindowStart(NOW.getTime()));

/** The first script call after the `before`th that reads the key's change marker: its check. */
const checkCall = (keyId: string, before: number) =>
  waitFor(`${keyId}'s check in a script call`, () =>
    scriptCalls()
      .slice(before)
      .find((args) => args.some((a) => a.endsWith(`:keys:changed-at:${keyId}`))),
  );

/** Waits until the window holds exactly what the answered requests used (7 tokens each at the stand-in). */
const settledAt = (keyId: string, tokens: number) =>
  waitFor(`${keyId}'s token window at ${tokens}`, async () => (await windowTokens(keyId)) === tokens);

describe("token reservations ride with the key's check", () => {
  it("reserves a known key's tokens in the one script call that checks the key and takes its rate limit", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id);
    await chat(key.secret).expect(200); // the key is looked up and cached
    await settledAt(key.id, 7);
    const before = await scriptCallsSoFar();
    await chat(key.secret).expect(200);
    await settledAt(key.id, 14);
    // The answer's settlement is the last call of the request: once Redis has shown it, all are in.
    const usageField = `c:${key.id}:2026-03-10`;
    await waitFor("the settlement's script call", () =>
      scriptCalls()
        .slice(before)
        .some((args) => args.includes(usageField)),
    );
    const calls = scriptCalls().slice(before);
    const checks = calls.filter((args) => args.some((a) => a.endsWith(`:keys:changed-at:${key.id}`)));
    expect(checks).toHaveLength(1);
    const tokens = tokenWindowKey(env.prefix, key.id, tokenWindowStart(NOW.getTime()));
    expect(checks[0]).toContain(`${env.prefix}:ratelimit:${key.id}`);
    expect(checks[0]).toContain(tokens);
  });

  it("gives back what it reserved for a request its rate limit then refuses", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id, { rateLimitPerMinute: 1 });
    await chat(key.secret).expect(200);
    await settledAt(key.id, 7);
    const before = await scriptCallsSoFar();
    const forwarded = stub.traffic().length;
    const refused = await chat(key.secret).expect(429);
    expect(refused.body.error.code).toBe("rate_limit_exceeded");
    expect(refused.headers["x-ratelimit-remaining-requests"]).toBe("0");
    expect(await checkCall(key.id, before)).toContain(tokensOf(key.id)); // reserved with the check
    await settledAt(key.id, 7); // and given back
    expect(stub.traffic()).toHaveLength(forwarded);
  });

  it("gives back what it reserved for a key revoked since this process cached it, and reserves no more", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id);
    const other = await insertApiKey(env, account.id);
    await chat(key.secret).expect(200);
    await chat(other.secret).expect(200);
    await settledAt(key.id, 7);
    await request(web.app)
      .post(`/admin/keys/${key.id}/revoke`)
      .set("Authorization", `Bearer ${account.token}`)
      .send({})
      .expect(200);
    let before = await scriptCallsSoFar();
    const refused = await chat(key.secret).expect(401);
    expect(refused.body.error.code).toBe("invalid_api_key");
    expect(await checkCall(key.id, before)).toContain(tokensOf(key.id));
    await settledAt(key.id, 7);

    // Now its cached record says revoked: refused from memory, its body is not read ahead.
    before = await scriptCallsSoFar();
    await chat(key.secret).expect(401);
    // Another key's request after it: once its check call is seen, the revoked key's calls are too.
    await chat(other.secret).expect(200);
    await checkCall(other.id, before);
    const since = scriptCalls().slice(before);
    expect(since.some((args) => args.includes(tokensOf(key.id)))).toBe(false);
  });

  it("closes the connection of a refused request whose body it stopped reading past the limit", async () => {
    const account = await createAccountWithSession(env);
    const key = await insertApiKey(env, account.id, { rateLimitPerMinute: 1 });
    await chat(key.secret).expect(200); // cached, its one request of the minute spent
    const server = await listen(web.app);
    try {
      const url = new URL("/v1/chat/completions", server.url);
      const outgoing = httpRequest(url, {
        method: "POST",
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        agent: new Agent({ keepAlive: true }),
      });
      outgoing.on("error", () => {});
      // Chunked (no content-length), past the limit, and never finished.
      outgoing.write(`{"model":"${STUB_MODEL}","messages":[{"role":"user","content":"${"x".repeat(8_000)}`);
      const answer = await new Promise<IncomingMessage>((resolve) => outgoing.once("response", resolve));
      answer.resume();
      expect(answer.statusCode).toBe(429);
      expect(answer.headers.connection).toBe("close");
      await waitFor("the connection to close", () => outgoing.socket?.destroyed === true);
    } finally {
      await server.close();
    }
  });
});
