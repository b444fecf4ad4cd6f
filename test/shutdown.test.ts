import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { freePort } from "./support/worker-process.js";

// The real web entry point (src/api/main.ts) as a child process, stopped with SIGTERM while a
// streamed completion is in flight through it.

let env: TestEnv;
let upstream: UpstreamStub;
let child: ChildProcess | undefined;

beforeAll(async () => {
  upstream = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: upstream.url });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
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

async function startWeb(
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<{ proc: ChildProcess; output: string[] }> {
  const output: string[] = [];
  const proc = spawn(process.execPath, ["--import", "tsx", "src/api/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env.env, PORT: String(port), ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (d: Buffer) => output.push(...d.toString("utf8").split("\n").filter(Boolean)));
  proc.stderr?.on("data", (d: Buffer) => output.push(...d.toString("utf8").split("\n").filter(Boolean)));
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`web exited early: ${output.join("\n")}`);
    const status = await get(port, "/healthz").catch(() => 0);
    if (status === 200) return { proc, output };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`web did not come up: ${output.join("\n")}`);
}

describe("SIGTERM on the web process", () => {
  it("stops accepting, lets a stream in flight finish, and exits 0 well within 25 s", async () => {
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const port = await freePort();
    const web = await startWeb(port);
    child = web.proc;
    const exited = new Promise<number | null>((resolve) => web.proc.once("exit", (code) => resolve(code)));

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
      throw new Error(`stream answered ${response.statusCode}: ${text}\n${web.output.join("\n")}`);
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
    for (let i = 0; i < 100 && !chunks.join("").includes("Hello"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(chunks.join("")).toContain("Hello");

    const signalledAt = Date.now();
    web.proc.kill("SIGTERM");
    // New connections are refused once the signal is handled; the stream is still open.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      refused = await get(port, "/healthz").then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED",
      );
      if (!refused) await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused).toBe(true);
    expect(web.proc.exitCode).toBeNull();

    held.release();
    await ended;
    const text = chunks.join("");
    expect(text).toContain(" there");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);

    const code = await exited;
    const tookMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(25_000);
    agent.destroy();
    const logs = web.output.map((l) => JSON.parse(l) as { msg?: string });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["web listening", "stopped"]));
    console.info(`web stopped ${tookMs} ms after SIGTERM`);
  }, 60_000);

  it("exits 0 promptly even while Redis is unreachable (pools cannot close politely)", async () => {
    const port = await freePort();
    const web = await startWeb(port, { REDIS_URL: "redis://127.0.0.1:1" });
    child = web.proc;
    const exited = new Promise<number | null>((resolve) => web.proc.once("exit", (code) => resolve(code)));
    const signalledAt = Date.now();
    web.proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    const tookMs = Date.now() - signalledAt;
    expect(tookMs).toBeLessThan(10_000);
    // BullMQ's connection errors arrive as JSON log lines, not stack traces on stderr.
    for (const line of web.output) expect(() => JSON.parse(line), line).not.toThrow();
    console.info(`web stopped ${tookMs} ms after SIGTERM with Redis unreachable`);
  }, 40_000);
});
