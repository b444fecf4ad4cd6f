import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, killServiceProcesses, spawnWeb } from "./support/child-processes.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

// The real web entry point (src/api/main.ts) as a child process, sent SIGHUP after its UPSTREAMS_FILE
// changed: a server added to the file serves at once, and a bad file changes nothing, one log line
// naming the entry, the process still up.

let env: TestEnv;
let first: UpstreamStub;
let added: UpstreamStub;

beforeAll(async () => {
  [first, added] = await Promise.all([
    startUpstreamStub({ models: ["vllm-primary"] }),
    startUpstreamStub({ models: ["vllm-added"] }),
  ]);
  env = await createTestEnv({ UPSTREAM_URL: first.url });
});
let folder: string | undefined;
afterAll(async () => {
  await killServiceProcesses();
  if (folder) rmSync(folder, { recursive: true, force: true });
  await env.close();
  await Promise.all([first.close(), added.close()]);
});

describe("SIGHUP on the web process", () => {
  // A longer timeout: a child process started through tsx can take seconds to start on a busy machine.
  it("reads UPSTREAMS_FILE again, and keeps the old upstreams when the new file is bad", async () => {
    const { secret } = await insertApiKey(env, (await createAccount(env)).id);
    folder = mkdtempSync(join(tmpdir(), "keyward-sighup-"));
    const path = join(folder, "upstreams.yaml");
    writeFileSync(path, `- url: ${first.url}\n  models: [vllm-primary]\n`);
    const port = await freePort();
    const web = spawnWeb({ ...env.env, PORT: String(port), UPSTREAMS_FILE: path });
    await web.waitForLog("web listening", (line) => line.msg === "web listening", 60_000);
    const chat = (model: string) =>
      fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }] }),
      }).then((r) => r.status);
    expect(await chat("vllm-added")).toBe(404);

    writeFileSync(path, `- url: ${first.url}\n  models: [vllm-primary]\n- url: ${added.url}\n`);
    web.signal("SIGHUP");
    await web.waitForLog("the reload", (line) => line.msg === "UPSTREAMS_FILE reloaded");
    expect(await chat("vllm-added")).toBe(200);
    expect(await chat("vllm-primary")).toBe(200);

    writeFileSync(path, `- url: ${first.url}\n- url: ${added.url}\n  max_concurrency: -1\n`);
    web.signal("SIGHUP");
    await web.waitForLog("the refusal", (line) => String(line.msg).startsWith("UPSTREAMS_FILE not reloaded"));
    const refusal = web.logs.find((l) => String(l.msg).startsWith("UPSTREAMS_FILE not reloaded"));
    expect(String(refusal?.msg)).toContain(`entry 2 (${added.url}): max_concurrency:`);
    expect(web.hasExited()).toBe(false);
    expect(await chat("vllm-added")).toBe(200);
    expect(web.stderr.join("")).toBe("");
  }, 60_000);
});
