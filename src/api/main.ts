import { loadConfigOrExit } from "../config/config.js";
import { createUpstreamsReloader } from "../upstreams/reload-upstreams.js";
import { createApp } from "./app.js";
import { createWebServer, LISTEN_BACKLOG } from "./server.js";
import { connectWebDeps, POLITE_CLOSE_MS } from "./web-deps.js";

/** How long a stopping process waits for Redis to take the usage it kept through an outage. */
const USAGE_HANDOVER_MS = 5_000;

const config = loadConfigOrExit();
let stopping = false;
const web = connectWebDeps(config);
const logger = web.deps.logger;
const app = createApp({ ...web.deps, isStopping: () => stopping });
const server = createWebServer(app.handle, logger);
server.listen({ port: config.port, backlog: LISTEN_BACKLOG }, () =>
  logger.info({ port: config.port }, "web listening"),
);
// A port taken (or not ours to take) stops the process with one line, as a bad setting does.
server.once("error", (err: NodeJS.ErrnoException) => {
  if (server.listening) throw err;
  const why = err.code === "EADDRINUSE" ? "is already in use" : `cannot be listened on (${err.code})`;
  process.stderr.write(`PORT: ${config.port} ${why}\n`);
  process.exit(1);
});

// During shutdown, every answer tells the client (or router) to drop its connection after it.
server.prependListener("request", (_req, res) => {
  if (stopping) res.setHeader("Connection", "close");
});
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping: no new connections, finishing in-flight requests");
  const stopBy = Date.now() + config.shutdownTimeoutMs;
  const deadline = setTimeout(() => {
    logger.error("in-flight requests did not finish in time; exiting");
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  // close() stops accepting and resolves once every in-flight request (streams included) has ended.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A keep-alive connection whose request ends during shutdown (a stream finishing) turns idle rather
  // than closed, and would hold the process for keepAliveTimeout: close those as they appear.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  await closed;
  clearInterval(sweep);
  // Counts kept through a Redis outage live only in this process: they go to Redis before it closes.
  // Within what is left of SHUTDOWN_TIMEOUT_MS once the connections' polite close (and a second for
  // the rest) is set aside, so that a stream ending late still leaves time to exit 0.
  const left = stopBy - Date.now() - POLITE_CLOSE_MS - 1_000;
  const handOverMs = Math.max(0, Math.min(USAGE_HANDOVER_MS, left));
  const handedOver = await app.handOverUsage(handOverMs);
  if (!handedOver) logger.error("Redis did not answer before exit: usage counts kept in memory are lost");
  await web.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// Only with a file to read again: otherwise SIGHUP keeps its default meaning (the process ends).
if (config.upstreamsFile) {
  const reloadUpstreams = createUpstreamsReloader(config.upstreamsFile, app.upstreams, logger);
  process.on("SIGHUP", () => void reloadUpstreams());
}
process.on("SIGINT", () => void shutdown("SIGINT"));
