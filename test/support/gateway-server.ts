import { type RequestListener, request } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebServer } from "../../src/api/server.js";

/**
 * Listens an app on 127.0.0.1, port 0, on the web process's own server (src/api/server.ts), for
 * clients that need a real URL (the openai SDK, curl, raw sockets).
 */
export async function listen(app: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createWebServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  text: string;
  json(): { error: { message: string; type: string; code: string; param?: string } };
}

/**
 * An HTTP request sent exactly as given: the path is not normalised (fetch and URL would resolve `..`
 * and `%2e%2e` before sending, which is what path-escape tests must not let happen).
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method: options.method ?? "GET", path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
