import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { answerHeapQueries } from "./heap-probe.js";

// The floor: the same undici pool and streaming as keyward's forwarder, with no auth, no limits, no
// logging. Whatever keyward costs beyond this is the price of its checks.
const upstream = process.env.UPSTREAM_URL ?? "http://127.0.0.1:8000";
// No connection cap (null), as keyward's upstream pools: a capped pool makes streams wait for others.
const pool = new Pool(upstream, { connections: null, keepAliveTimeout: 30_000, bodyTimeout: 0 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "te", "upgrade", "trailer"]);

const server = createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP.has(name)) headers[name] = value;
  }
  pool
    .stream(
      {
        path: req.url ?? "/",
        method: req.method as "GET",
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : req,
      },
      ({ statusCode, headers: answer }) => {
        res.statusCode = statusCode;
        for (const [name, value] of Object.entries(answer)) {
          if (value !== undefined && !HOP.has(name)) res.setHeader(name, value);
        }
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
});
server.keepAliveTimeout = 95_000;
// The same accept queue as keyward's (src/api/server.ts), so that a burst of connections meets both alike.
server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
});
answerHeapQueries();
process.on("SIGTERM", () => process.exit(0));
