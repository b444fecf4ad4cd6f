import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "./support/gateway-server.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// Requests Node's HTTP parser refuses before the app sees them still get the contract's JSON error
// and an x-request-id (src/api/server.ts), on the server the web process runs.

let env: TestEnv;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  env = await createTestEnv();
  server = await listen((await env.makeApp()).app);
});
afterAll(async () => {
  await server.close();
  await env.close();
});

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

  it("still serves well-formed requests on the same server", async () => {
    const { head, body } = await rawExchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(head[0]).toBe("HTTP/1.1 200 OK");
    expect(JSON.parse(body)).toEqual({ status: "ok" });
  });
});
