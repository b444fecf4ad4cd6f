import { loadConfigOrExit } from "../config/config.js";
import { connectDatabase } from "../db/client.js";
import { processEmailJob } from "../email/email-jobs.js";
import { createMailer } from "../email/mailer.js";
import { createLogger } from "../logging/logger.js";
import { createQueues } from "../queues/queues.js";
import { connectRedis } from "../redis/client.js";
import { systemClock } from "../time/clock.js";
import { processMaintenanceJob } from "./maintenance.js";
import { createScheduleKeeper, upsertMaintenanceSchedules } from "./schedules.js";
import { createWorker } from "./worker.js";

// The worker process. Stateless: run as many as you like against one PostgreSQL and one Redis.
// Redis or PostgreSQL going away does not end it: BullMQ's connection retries forever, and a job
// that fails on a lost database is retried with backoff.

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: "worker" });
const database = connectDatabase(config);
const redis = connectRedis(config, "commands");
const bullConnection = connectRedis(config, "bullmq");
const queues = createQueues(bullConnection, config.redisPrefix, logger);
const mailer = createMailer(config, logger);

const worker = createWorker(
  { config, database, redis, bullConnection, queues, mailer, logger, clock: systemClock },
  { email: processEmailJob, maintenance: processMaintenanceJob },
);
// Waits for Redis if it is not there yet (BullMQ's connection queues commands until it connects).
void upsertMaintenanceSchedules(queues.maintenance, config, logger).then(() =>
  logger.info({ flushEveryMs: config.lastUsedFlushMs }, "worker started, schedules in place"),
);
// A Redis restarted without its data has lost the schedules: put back within SCHEDULE_CHECK_MS.
const scheduleKeeper = createScheduleKeeper(queues.maintenance, config, logger);
scheduleKeeper.start();

// A connection error surfacing as a rejection somewhere must not kill the process into a crash loop:
// the connections reconnect by themselves.
process.on("unhandledRejection", (reason) => {
  logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, "unhandled rejection");
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping: taking no new jobs, finishing the jobs in hand");
  const deadline = setTimeout(() => {
    // The unfinished job keeps its lock until it expires, then another worker retries it.
    logger.error(
      "shutdown did not finish in time (a long job, or Redis unreachable); exiting, unfinished jobs will be retried",
    );
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  scheduleKeeper.stop();
  await worker.close();
  await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
  await Promise.allSettled([database.close(), redis.quit(), bullConnection.quit()]);
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
