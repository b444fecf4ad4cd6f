import { type AddressInfo, connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebServer } from "../src/api/server.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// Requests Node's HTTP parser refuses before the app sees them still get the contract's JSON error
// and an x-request-id (src/api/server.ts), on the server the web process runs.

let env: TestEnv;
let stub: UpstreamStub;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url });
  server = await listen((await env.makeApp()).app);
});
afterAll(async () => {
  await server.close();
  await stub.close();
  await env.close();
});

/** A connection that writes when told and records what comes back and whether the server closed it. */
async function openConnection(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  return { socket, received: () => Buffer.concat(chunks).toString("utf8"), closed };
}

/** Sends bytes exactly as given and reads the whole answer, up to the server's close. */
function rawExchange(bytes: string): Promise<{ head: string[]; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const at = text.indexOf("\r\n\r\n");
      resolve({ head: text.slice(0, at).split("\r\n"), body: text.slice(at + 4) });
    });
  });
}

function header(head: string[], name: string): string | undefined {
  const line = head.find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

describe("requests the HTTP parser refuses", () => {
  it("answers headers over Node's limit with 431 headers_too_large in the contract's shape", async () => {
    const { head, body } = await rawExchange(
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(head[0]).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(header(head, "content-type")).toBe("application/json; charset=utf-8");
    expect(header(head, "x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(header(head, "connection")).toBe("close");
    expect(Number(header(head, "content-length"))).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body)).toEqual({
      error: {
        message: "Request headers are too large (16 KiB at most, request line included)",
        type: "invalid_request_error",
        code: "headers_too_large",
      },
    });
  });

  it("answers a malformed header line and Content-Length beside chunked with 400 in the contract's shape", async () => {
    const malformed = await rawExchange(
      "GET /admin/permissions HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n",
    );
    const smuggled = await rawExchange(
      "POST /admin/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    for (const { head, body } of [malformed, smuggled]) {
      expect(head[0]).toBe("HTTP/1.1 400 Bad Request");
      expect(header(head, "x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(body)).toEqual({
        error: {
          message: "Malformed HTTP request",
          type: "invalid_request_error",
          code: "validation_failed",
        },
      });
    }
  });

  it("closes a refused connection itself, even when the client keeps its side open", async () => {
    const web = createWebServer((await env.makeApp()).app);
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    const connections = () => new Promise<number>((r) => web.getConnections((_err, n) => r(n)));
    try {
      // Half-open allowed and never ended: this client would hold the connection as long as the
      // server let it.
      const client = connect({
        port: (web.address() as AddressInfo).port,
        host: "127.0.0.1",
        allowHalfOpen: true,
      });
      const chunks: Buffer[] = [];
      client.on("data", (c: Buffer) => chunks.push(c));
      client.on("error", () => {});
      client.write(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${"a".repeat(20_000)}\r\n\r\n`);
      await new Promise<void>((r) => client.once("end", () => r()));
      expect(Buffer.concat(chunks).toString("utf8")).toMatch(/^HTTP\/1\.1 431 /);
      for (let i = 0; i < 50 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await connections()).toBe(0);
      client.destroy();
    } finally {
      web.closeAllConnections();
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it("answers a request that was too slow to arrive with 408 request_timeout, and closes it", async () => {
    // Node raises ERR_HTTP_REQUEST_TIMEOUT on its own connection check, after headersTimeout (96 s);
    // the test raises it at once on the connection it opened, as Node would then.
    const web = createWebServer((await env.makeApp()).app);
    const accepted = new Promise<Socket>((resolve) => web.once("connection", resolve));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    try {
      const client = connect((web.address() as AddressInfo).port, "127.0.0.1");
      const chunks: Buffer[] = [];
      client.on("data", (c: Buffer) => chunks.push(c));
      const closed = new Promise<void>((r) => client.once("close", () => r()));
      client.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
      const timeout = Object.assign(new Error("Request timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" });
      web.emit("clientError", timeout, await accepted);
      await closed;
      const text = Buffer.concat(chunks).toString("utf8");
      expect(text.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
      expect(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))).toEqual({
        error: {
          message: "The request did not arrive in time",
          type: "invalid_request_error",
          code: "request_timeout",
        },
      });
    } finally {
      web.closeAllConnections();
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it("cuts a connection whose answer is already streaming instead of writing an error into it", async () => {
    const { secret } = await insertApiKey(env, (await createAccount(env)).id);
    const held = stub.holdNextStream();
    const { socket, received, closed } = await openConnection();
    const body = JSON.stringify({ model: STUB_MODEL, messages: [], stream: true });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${secret}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await held.firstChunkSent;
    await waitFor("the first event", () => received().includes("data: "));
    // A malformed request pipelined behind it: the parser fails while the stream is being answered.
    socket.write("NOT HTTP AT ALL\r\n\r\n");
    await closed;
    held.release();
    expect(received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(received()).not.toContain("HTTP/1.1 400");
    expect(received()).not.toContain("Malformed HTTP request");
  });

  it("still serves well-formed requests on the same server", async () => {
    const { head, body } = await rawExchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(head[0]).toBe("HTTP/1.1 200 OK");
    expect(JSON.parse(body)).toEqual({ status: "ok" });
  });
});
