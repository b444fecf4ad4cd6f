import type { Config } from "../config/config.js";
import { connectDatabase } from "../db/client.js";
import { createLogger } from "../logging/logger.js";
import { createQueues } from "../queues/queues.js";
import { connectRedis } from "../redis/client.js";
import { systemClock } from "../time/clock.js";
import { withTimeout } from "../time/with-timeout.js";
import type { AppDeps } from "./deps.js";

/** How long closing waits for PostgreSQL and Redis to take their connections' end politely. */
export const POLITE_CLOSE_MS = 3_000;

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
      const polite = (async () => {
        await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
        await Promise.allSettled([database.close(), redis.quit(), queueConnection.quit()]);
      })();
      // A black-holed Redis never answers QUIT, and BullMQ's connection has no command timeout: past
      // the bound the connections are dropped instead, so that a stop still ends in time, cleanly.
      await withTimeout(polite, POLITE_CLOSE_MS).catch(() => {
        redis.disconnect();
        queueConnection.disconnect();
      });
    },
  };
}
