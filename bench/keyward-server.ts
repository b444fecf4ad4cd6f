import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../src/api/app.js";
import { loadConfigOrExit } from "../src/config/config.js";
import { connectDatabase } from "../src/db/client.js";
import { createLogger } from "../src/logging/logger.js";
import { createQueues } from "../src/queues/queues.js";
import { connectRedis } from "../src/redis/client.js";
import { systemClock } from "../src/time/clock.js";

// keyward's web process as src/api/main.ts builds it, plus a PostgreSQL query counter the benchmark
// reads over IPC (so that nothing is added to the app's own routes).
const config = loadConfigOrExit();
let queries = 0;
const logger = createLogger({ level: config.logLevel, name: "web" });
const database = connectDatabase(config, { onQuery: () => queries++ });
const redis = connectRedis(config, "commands");
const queueConnection = connectRedis(config, "bullmq");
const queues = createQueues(queueConnection, config.redisPrefix);
const app = createApp({
  config,
  database,
  redis,
  emailQueue: queues.email,
  maintenanceQueue: queues.maintenance,
  logger,
  clock: systemClock,
});
const server = createServer(app);
server.keepAliveTimeout = 95_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
});
process.on("message", (message: { type?: string }) => {
  if (message.type === "queries") process.send?.({ queries });
});
process.on("SIGTERM", () => process.exit(0));
