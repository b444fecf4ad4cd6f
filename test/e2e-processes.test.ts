import { execFile } from "node:child_process";
import { connect, type Socket } from "node:net";
import { promisify } from "node:util";
import OpenAI, { AuthenticationError, PermissionDeniedError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  killServiceProcesses,
  type ServiceProcess,
  spawnWeb,
  spawnWorker,
  webReady,
  workerReady,
} from "./support/child-processes.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub } from "./support/resend-stub.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// keyward seen from outside only: two real web processes and two real worker processes on one
// PostgreSQL database and one Redis prefix, driven over HTTP by fetch, the openai SDK and the product
// docs' own curl commands. Nothing of the app runs in this process; only Resend and the upstream LLM
// are stood in for. Every wait is a bounded poll on a condition.

const sh = promisify(execFile);
const CONSOLE_URL = "https://console.e2e.example";
const PASSWORD = "e2e processes passphrase 7";
const INVALID_KEY_BODY = {
  error: { message: "Invalid API key provided", type: "authentication_error", code: "invalid_api_key" },
};
const FORBIDDEN_BODY = {
  error: {
    message: "API key doesn't have permission for this endpoint",
    type: "permission_error",
    code: "insufficient_permissions",
  },
};

// The product docs' commands, as printed there (api-keys.md, then authentication.md); only the
// address and the placeholder key are replaced before they run.
const DOCS_BEARER_CURL = `curl https://api.solidrust.ai/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer sk-srt-your-api-key-here" \\
  -d '{
    "model": "vllm-primary",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`;
const DOCS_X_API_KEY_CURL = `curl https://api.solidrust.ai/v1/chat/completions \\
  -H "X-API-Key: sk_live_abc123..." \\
  -H "Content-Type: application/json" \\
  -d '{"model": "vllm-primary", "messages": [{"role": "user", "content": "Hi"}]}'`;

let env: TestEnv;
let resend: ResendStub;
let upstream: UpstreamStub;
const webs: { proc: ServiceProcess; url: string }[] = [];
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  [resend, upstream] = await Promise.all([startResendStub(), startUpstreamStub()]);
  env = await createTestEnv();
  const processEnv = {
    ...env.env,
    RESEND_API_KEY: "re_e2e_test_key",
    RESEND_BASE_URL: resend.url,
    UPSTREAM_URL: upstream.url,
    LAST_USED_FLUSH_MS: "300",
    CONSOLE_URL,
    CONSOLE_ORIGINS: CONSOLE_URL,
  };
  const ports = [await freePort(), await freePort()];
  for (const port of ports) {
    webs.push({ proc: spawnWeb({ ...processEnv, PORT: String(port) }), url: `http://127.0.0.1:${port}` });
  }
  workers.push(spawnWorker(processEnv), spawnWorker(processEnv));
  await Promise.all([
    // 20 s proved too short for two web processes and two workers at once beside the full suite.
    ...webs.map(({ proc, url }) => webReady(proc, url, 35_000)),
    ...workers.map((w) => workerReady(w, 35_000)),
  ]);
}, 40_000);

afterAll(async () => {
  await killServiceProcesses();
  await Promise.allSettled([env?.close(), resend?.close(), upstream?.close()]);
});

const webA = () => webs[0]?.url as string;
const webB = () => webs[1]?.url as string;

async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; auth?: string; cookie?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.auth) headers.authorization = `Bearer ${opts.auth}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function expectGatewayHeaders(headers: { get(name: string): string | null }) {
  expect(headers.get("x-request-id")).toMatch(/\S/);
  expect(headers.get("x-ratelimit-limit-requests")).toBe("60");
  expect(Number(headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(60);
  expect(headers.get("x-ratelimit-reset-requests")).toMatch(/\S/);
}

/** Runs a docs curl command through the shell with `-i`; returns the status, headers and body. */
async function runDocsCurl(command: string, base: string, key: string, placeholder: string) {
  const line = command.replace("https://api.solidrust.ai", base).replace(placeholder, key);
  const { stdout } = await sh("sh", ["-c", `${line} --silent --show-error --include`]);
  const [head = "", body = ""] = stdout.split(/\r\n\r\n/, 2);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const headers = new Map(
    headerLines.map((h) => [h.slice(0, h.indexOf(":")).toLowerCase(), h.slice(h.indexOf(":") + 1).trim()]),
  );
  return {
    status: Number(statusLine.split(" ")[1]),
    headers: { get: (n: string) => headers.get(n) ?? null },
    json: JSON.parse(body),
  };
}

describe("keyward end to end across two web and two worker processes", () => {
  const email = `e2e-${Date.now().toString(36)}@example.com`;
  const state = {
    firstUseAt: 0,
    revokedAt: 0,
    verifyToken: "",
    sessionToken: "",
    cookie: "",
    keyId: "",
    secret: "",
  };
  const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${webA()}/v1`, maxRetries: 0 });

  it("signs up on web A; one worker sends the verification email exactly once; verifies on web B", async () => {
    const signup = await call(webA(), "POST", "/admin/accounts", { body: { email, password: PASSWORD } });
    expect(signup.status).toBe(201);
    expect(signup.json.account).toMatchObject({ email, email_verified: false });

    const mail = await waitFor("the verification email at Resend", async () =>
      resend.delivered.find((m) => m.to === email),
    );
    expect(mail.subject).toBe("Verify your email address");
    const link = mail.text.split("\n").find((l) => l.startsWith("http")) ?? "";
    expect(link.startsWith(`${CONSOLE_URL}/verify-email?token=`)).toBe(true);
    const token = new URL(link).searchParams.get("token") ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    state.verifyToken = token;
    // The stand-in records the email before it answers; the worker logs once it has the answer.
    const sentLog = (w: ServiceProcess) => w.logs.some((l) => l.msg === "email sent");
    await waitFor("a worker to log the email as sent", async () => workers.some(sentLog));
    const sentBy = workers.filter(sentLog);
    expect(sentBy).toHaveLength(1);

    const verify = await call(webB(), "POST", "/admin/accounts/verify", { body: { token } });
    expect(verify.status).toBe(200);
    expect(verify.json.account).toMatchObject({ email, email_verified: true });
  });

  it("logs in on web A (token and cookie), and both work on web B", async () => {
    const login = await call(webA(), "POST", "/admin/sessions", { body: { email, password: PASSWORD } });
    expect(login.status).toBe(201);
    expect(login.headers.get("cache-control")).toBe("no-store");
    state.sessionToken = login.json.session.token;
    expect(state.sessionToken).toMatch(/\S{20,}/);
    const setCookie = login.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/HttpOnly/i);
    state.cookie = (setCookie[0] ?? "").split(";")[0] ?? "";
    expect(state.cookie).toBe(`keyward_session=${state.sessionToken}`);

    const byBearer = await call(webB(), "GET", "/admin/me", { auth: state.sessionToken });
    expect(byBearer.status).toBe(200);
    expect(byBearer.json.account).toMatchObject({ email, email_verified: true, tier: "free" });
    const byCookie = await call(webB(), "GET", "/admin/me", { cookie: state.cookie });
    expect(byCookie.status).toBe(200);
    expect(byCookie.json.account.id).toBe(byBearer.json.account.id);
  });

  it("creates a key on web B that works at once on web A through the openai SDK", async () => {
    const created = await call(webB(), "POST", "/admin/keys", {
      auth: state.sessionToken,
      body: { name: "e2e key", permissions: ["chat:read", "models:list"] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(created.json.secret).toMatch(/^sk-srt-[A-Za-z0-9]{32}$/);
    expect(created.json.key).toMatchObject({
      name: "e2e key",
      permissions: ["chat:read", "models:list"],
      status: "active",
      last_used_at: null,
    });
    state.secret = created.json.secret;
    state.keyId = created.json.key.id;

    const client = sdk(state.secret);
    state.firstUseAt = Date.now();
    const chat = await client.chat.completions
      .create({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }] })
      .withResponse();
    expect(chat.data.choices[0]?.message.content).toBe("Hello there!");
    expectGatewayHeaders(chat.response.headers);

    const stream = await client.chat.completions.create({
      model: STUB_MODEL,
      messages: [{ role: "user", content: "Hello!" }],
      stream: true,
    });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("Hello there!");

    const models = await client.models.list().withResponse();
    expect(models.data.data.map((m) => m.id)).toEqual([STUB_MODEL]);
    expectGatewayHeaders(models.response.headers);

    const denied = await client.embeddings.create({ model: STUB_MODEL, input: "x" }).catch((e) => e);
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied.status).toBe(403);
    expect(denied.error).toStrictEqual(FORBIDDEN_BODY.error);
    expect(denied.headers.get("x-request-id")).toMatch(/\S/);
    expect(upstream.requests.some((r) => r.url.startsWith("/v1/embeddings"))).toBe(false);
  });

  it("answers the product docs' curl commands (Bearer and X-API-Key) on web A", async () => {
    const bearer = await runDocsCurl(DOCS_BEARER_CURL, webA(), state.secret, "sk-srt-your-api-key-here");
    expect(bearer.status).toBe(200);
    expect(bearer.json.choices[0].message.content).toBe("Hello there!");
    expectGatewayHeaders(bearer.headers);

    const xApiKey = await runDocsCurl(DOCS_X_API_KEY_CURL, webA(), state.secret, "sk_live_abc123...");
    expect(xApiKey.status).toBe(200);
    expect(xApiKey.json.object).toBe("chat.completion");
    expectGatewayHeaders(xApiKey.headers);
    // What reached the upstream was the docs' body, without the client's key.
    const last = upstream.requests.at(-1);
    expect(JSON.parse(last?.body ?? "{}")).toEqual({
      model: "vllm-primary",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(JSON.stringify(last?.headers)).not.toContain(state.secret);
  });

  it("revokes on web B: the very next request on web A is 401 invalid_api_key", async () => {
    const revoked = await call(webB(), "POST", `/admin/keys/${state.keyId}/revoke`, {
      auth: state.sessionToken,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.key.status).toBe("revoked");
    state.revokedAt = Date.now();

    const next = await fetch(`${webA()}/v1/models`, { headers: { authorization: `Bearer ${state.secret}` } });
    expect(next.status).toBe(401);
    expect(await next.json()).toStrictEqual(INVALID_KEY_BODY);
    expect(next.headers.get("x-request-id")).toMatch(/\S/);

    const viaSdk = await sdk(state.secret)
      .chat.completions.create({ model: STUB_MODEL, messages: [{ role: "user", content: "Hello!" }] })
      .catch((e) => e);
    expect(viaSdk).toBeInstanceOf(AuthenticationError);
    expect(viaSdk.error).toStrictEqual(INVALID_KEY_BODY.error);
  });

  it("shows last_used_at on web B once a worker has flushed the key's use", async () => {
    const key = await waitFor(
      "last_used_at in GET /admin/keys/:id",
      async () => {
        const res = await call(webB(), "GET", `/admin/keys/${state.keyId}`, { auth: state.sessionToken });
        expect(res.status).toBe(200);
        return res.json.key.last_used_at ? res.json.key : undefined;
      },
      10_000,
    );
    const usedAt = Date.parse(key.last_used_at);
    // The last accepted use came after the key was created and before it was revoked.
    expect(usedAt).toBeGreaterThanOrEqual(state.firstUseAt);
    expect(usedAt).toBeLessThanOrEqual(state.revokedAt);
    expect(key.status).toBe("revoked");
  });

  it("queues a burst of connections while web A cannot accept them (past Node's default 511), then serves on", async () => {
    const [a] = webs;
    if (!a) throw new Error("no web process");
    const port = Number(new URL(a.url).port);
    const burst = 700;
    const sockets: Socket[] = [];
    let connected = 0;
    a.proc.signal("SIGSTOP");
    try {
      // The kernel completes each handshake into the listen queue while the process is stopped; past
      // the queue's length it drops them, and a client's connect then waits a second or more. (The
      // kernel caps the queue at net.core.somaxconn: 4096 by default since Linux 5.4.)
      for (let i = 0; i < burst; i++) {
        const socket = connect(port, "127.0.0.1", () => connected++);
        socket.on("error", () => {});
        sockets.push(socket);
      }
      await waitFor(`${burst} connections queued`, () => connected === burst, 5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      a.proc.signal("SIGCONT");
    }
    const res = await fetch(`${a.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it("sent exactly one email in all, and every process exits 0 on SIGTERM", async () => {
    expect(resend.delivered.filter((m) => m.to === email)).toHaveLength(1);
    expect(resend.requests.filter((r) => r.body.to === email || r.body.to?.[0] === email)).toHaveLength(1);

    const all = [...webs.map((w) => w.proc), ...workers];
    for (const proc of all) proc.signal("SIGTERM");
    const exits = await Promise.all(all.map((p) => p.exited));
    expect(exits).toEqual(all.map(() => ({ code: 0, signal: null })));
    for (const proc of all) expect(proc.logs.map((l) => l.msg)).toContain("stopped");
    // Four processes' whole output: no key, session token, password or verification token in it.
    const output = all.map((p) => JSON.stringify(p.logs) + p.stderr.join("")).join("\n");
    expect(output).toContain("web listening");
    for (const secret of [state.secret, state.sessionToken, PASSWORD, state.verifyToken]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(output).not.toContain(secret);
    }
  }, 30_000);
});
