import OpenAI, { InternalServerError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";
import { startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";

// GET /v1/responses/:id while the server that may hold the response is down: a 502 the client can
// retry, never a 404 that says the response does not exist. Its own file: it takes a server down.

let env: TestEnv;
let web: TestApp;
let chatServer: UpstreamStub;
let otherServer: UpstreamStub;
let server: { url: string; close(): Promise<void> };
let owner: { id: string };

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  chatServer = await startUpstreamStub({ models: ["vllm-primary"] });
  otherServer = await startUpstreamStub({ models: ["vllm-small"] });
  env = await createTestEnv({
    UPSTREAMS: JSON.stringify([
      { url: chatServer.url, models: ["vllm-primary"] },
      { url: otherServer.url, models: ["vllm-small"] },
    ]),
  });
  web = await env.makeApp();
  server = await listen(web.app);
  owner = await createAccount(env);
});
afterAll(async () => {
  await server.close();
  await Promise.all([chatServer.close(), otherServer.close()]);
  await env.close();
});

describe("stored responses while their server is down", () => {
  it("is 502 when a server that may hold it cannot be reached, and at once when none of the key's is in rotation", async () => {
    const everyModel = (await insertApiKey(env, owner.id)).secret;
    const primaryOnly = (await insertApiKey(env, owner.id, { models: ["vllm-primary"] })).secret;
    const created = await client(everyModel).responses.create({ model: "vllm-primary", input: "Hi" });
    await chatServer.stop();

    // The other server says it does not hold it; the stopped one cannot say: not a 404.
    const unknown = await client(everyModel)
      .responses.retrieve("resp_heldbyastoppedserver")
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InternalServerError);
    expect((unknown as InternalServerError).status).toBe(502);
    expect((unknown as InternalServerError).code).toBe("upstream_unavailable");

    // A chat to the stopped server takes it out of rotation; the key that may reach no other server
    // is then answered at once (the answer only that case gives), not after a look-up.
    const chat = await client(primaryOnly)
      .chat.completions.create({ model: "vllm-primary", messages: [{ role: "user", content: "Hi" }] })
      .catch((e: unknown) => e);
    expect((chat as InternalServerError).status).toBe(502);
    const down = await client(primaryOnly)
      .responses.retrieve(created.id)
      .catch((e: unknown) => e);
    expect((down as InternalServerError).status).toBe(502);
    expect((down as InternalServerError).code).toBe("upstream_unavailable");
    expect((down as InternalServerError).message).toContain("No upstream can be reached right now");
  });
});
