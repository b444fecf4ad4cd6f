import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { freePort, killServiceProcesses, type ServiceProcess, spawnWeb } from "./support/child-processes.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// The real web entry point (src/api/main.ts) as a child process, stopped with SIGTERM while a
// streamed completion is in flight through it. "In time" is the process's own deadline
// (SHUTDOWN_TIMEOUT_MS): past it the process logs an error and exits 1, so exit 0 with "stopped"
// logged means it finished within it, without the test timing anything.

let env: TestEnv;
let upstream: UpstreamStub;

beforeAll(async () => {
  upstream = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: upstream.url });
});
afterAll(async () => {
  await killServiceProcesses();
  await env.close();
  await upstream.close();
});

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function startWeb(port: number, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
  const web = spawnWeb({ ...env.env, PORT: String(port), ...extraEnv });
  await web.waitForLog("web listening", (line) => line.msg === "web listening");
  return web;
}

/** What the log says about the end: "stopped" after a polite close, never the deadline's error. */
function endOf(web: ServiceProcess): string[] {
  return web.logs.map((l) => String(l.msg)).filter((msg) => msg === "stopped" || /did not finish/.test(msg));
}

/** A chat completion's status, through the web process on `port`. */
function chatStatus(port: number, secret: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: STUB_MODEL, messages: [{ role: "user", content: "hi" }] }),
  }).then((res) => res.status);
}
describe("SIGTERM on the web process", () => {
  it("stops accepting, lets a stream in flight finish, and exits 0 before its 25 s deadline", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const port = await freePort();
    const web = await startWeb(port, { SHUTDOWN_TIMEOUT_MS: "25000" });

    // A keep-alive client, as a router in front of the web process would be.
    const agent = new Agent({ keepAlive: true });
    const held = upstream.holdNextStream();
    const body = JSON.stringify({
      model: STUB_MODEL,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: "/v1/chat/completions",
          method: "POST",
          agent,
          headers: {
            authorization: `Bearer ${key.secret}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        resolve,
      );
      req.on("error", reject);
      req.end(body);
    });
    if (response.statusCode !== 200) {
      const text = await new Promise<string>((resolve) => {
        let b = "";
        response.on("data", (c) => (b += c));
        response.on("end", () => resolve(b));
      });
      throw new Error(`stream answered ${response.statusCode}: ${text}\n${web.stderr.join("")}`);
    }
    expect(response.headers["content-type"]).toMatch(/^text\/event-stream/);
    const chunks: string[] = [];
    response.setEncoding("utf8");
    response.on("data", (c: string) => chunks.push(c));
    const ended = new Promise<void>((resolve, reject) => {
      response.on("end", resolve);
      response.on("error", reject);
      response.on("aborted", () => reject(new Error("stream aborted")));
    });
    await held.firstChunkSent;
    await waitFor("the first chunk at the client", () => chunks.join("").includes("Hello"));
    expect(chunks.join("")).toContain("Hello");

    web.signal("SIGTERM");
    // New connections are refused once the signal is handled; the stream is still open.
    const refused = await waitFor("a new connection to be refused", () =>
      get(port, "/healthz").then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED",
      ),
    );
    expect(refused).toBe(true);
    expect(web.hasExited()).toBe(false);

    held.release();
    await ended;
    const text = chunks.join("");
    expect(text).toContain(" there");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);

    expect((await web.exited).code).toBe(0);
    agent.destroy();
    expect(web.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["web listening", "stopped"]));
    expect(endOf(web)).toEqual(["stopped"]);
  }, 60_000);

  it("hands the usage it kept through a Redis outage to Redis before it exits", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const redis = connectRedis(env.config);
    try {
      const port = await freePort();
      const web = await startWeb(port, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      const chat = () => chatStatus(port, key.secret);
      const counted = () => redis.hget(pendingUsageKey(env.prefix), `c:${key.id}:${utcDay(new Date())}`);
      expect(await chat()).toBe(200);
      await waitFor("the first request counted in Redis", async () => (await counted()) === "1");
      proxy.cut();
      await waitFor("the web process to see Redis gone", async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503 ? true : undefined,
      );
      expect([await chat(), await chat()]).toEqual([200, 200]);

      web.signal("SIGTERM");
      await web.waitForLog(
        "the shutdown",
        (line) => line.msg === "stopping: no new connections, finishing in-flight requests",
      );
      proxy.restore();
      expect((await web.exited).code).toBe(0);
      // Three requests answered, two of them while Redis was away: all three counted, none lost.
      expect(await counted()).toBe("3");
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  }, 40_000);

  it("gives up handing over kept usage in time to exit 0 when Redis stays black-holed", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    try {
      const port = await freePort();
      // Shorter than the hand-over's own 5 s plus the connections' 3 s polite close.
      const web = await startWeb(port, {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        SHUTDOWN_TIMEOUT_MS: "7000",
      });
      const chat = () => chatStatus(port, key.secret);
      expect(await chat()).toBe(200);
      proxy.stall();
      // Served through the fallback once Redis does not answer: its count is kept in memory.
      expect(await chat()).toBe(200);
      web.signal("SIGTERM");
      expect((await web.exited).code).toBe(0);
      expect(web.logs.map((l) => l.msg)).toContain(
        "Redis did not answer before exit: usage counts kept in memory are lost",
      );
      expect(endOf(web)).toEqual(["stopped"]);
    } finally {
      proxy.resume();
      await proxy.close();
    }
  }, 40_000);

  it("exits 0 before a 10 s deadline while Redis is black-holed (connected, never answering)", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    try {
      const port = await freePort();
      const web = await startWeb(port, {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        SHUTDOWN_TIMEOUT_MS: "10000",
      });
      expect(await get(port, "/readyz")).toBe(200);
      proxy.stall();
      web.signal("SIGTERM");
      expect((await web.exited).code).toBe(0);
      expect(endOf(web)).toEqual(["stopped"]);
    } finally {
      proxy.resume();
      await proxy.close();
    }
  }, 40_000);

  it("exits 0 before a 10 s deadline even while Redis is unreachable (pools cannot close politely)", async () => {
    const port = await freePort();
    const web = await startWeb(port, { REDIS_URL: "redis://127.0.0.1:1", SHUTDOWN_TIMEOUT_MS: "10000" });
    web.signal("SIGTERM");
    expect((await web.exited).code).toBe(0);
    expect(endOf(web)).toEqual(["stopped"]);
    // BullMQ's connection errors arrive as JSON log lines, not stack traces on stderr.
    expect(web.nonJsonLines).toEqual([]);
    expect(web.stderr.join("")).toBe("");
  }, 40_000);
});
