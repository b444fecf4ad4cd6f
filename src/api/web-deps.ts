import type { Config } from "../config/config.js";
import { connectDatabase } from "../db/client.js";
import { createLogger } from "../logging/logger.js";
import { createQueues } from "../queues/queues.js";
import { connectRedis } from "../redis/client.js";
import { systemClock } from "../time/clock.js";
import type { AppDeps } from "./deps.js";

/**
 * The web process's dependencies on real services, as its entry point runs them (the benchmark's
 * server builds the same, adding a query counter), and `close()` to let go of them in order.
 */
export function connectWebDeps(
  config: Config,
  options: { onQuery?: () => void } = {},
): { deps: AppDeps; close(): Promise<void> } {
  const logger = createLogger({ level: config.logLevel, name: "web" });
  const database = connectDatabase(config, options);
  const redis = connectRedis(config, "commands");
  const queueConnection = connectRedis(config, "bullmq");
  const queues = createQueues(queueConnection, config.redisPrefix, logger);
  const deps: AppDeps = {
    config,
    database,
    redis,
    emailQueue: queues.email,
    maintenanceQueue: queues.maintenance,
    logger,
    clock: systemClock,
  };
  return {
    deps,
    async close() {
      await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
      await Promise.allSettled([database.close(), redis.quit(), queueConnection.quit()]);
    },
  };
}
