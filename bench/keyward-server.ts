import type { AddressInfo } from "node:net";
import { createApp } from "../src/api/app.js";
import { createWebServer, LISTEN_BACKLOG } from "../src/api/server.js";
import { connectWebDeps } from "../src/api/web-deps.js";
import { loadConfigOrExit } from "../src/config/config.js";
import { answerHeapQueries } from "./heap-probe.js";

// keyward's web process as src/api/main.ts builds it, plus a PostgreSQL query counter the benchmark
// reads over IPC (so that nothing is added to the app's own routes), and, for bench/ablate.sh, the
// parts of the /v1 path that ABL_NOREDIS, ABL_NOMETRICS and ABL_NOAUTH take out.
const config = loadConfigOrExit();
let queries = 0;
const { deps } = connectWebDeps(config, { onQuery: () => queries++ });
const server = createWebServer(
  createApp(deps, {
    redis: process.env.ABL_NOREDIS === "1",
    metrics: process.env.ABL_NOMETRICS === "1",
    auth: process.env.ABL_NOAUTH === "1",
  }).handle,
  deps.logger,
);
server.listen({ port: 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
});
process.on("message", (message: { type?: string }) => {
  if (message.type === "queries") process.send?.({ queries });
});
answerHeapQueries();
process.on("SIGTERM", () => process.exit(0));
