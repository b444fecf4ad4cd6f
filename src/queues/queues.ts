import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUE_EMAIL } from "../email/email-queue.js";
import { QUEUE_MAINTENANCE } from "../jobs/jobs.js";
import { atMostEvery, CONNECTION_ERROR_LOG_MS } from "../logging/at-most-every.js";
import type { Logger } from "../logging/logger.js";

/**
 * The BullMQ queues, on one shared connection; `prefix` isolates deployments (and test files). With a
 * logger, each queue's connection errors are logged as JSON lines, at most one a minute per queue (an
 * outage repeats them every reconnect attempt): without a listener BullMQ prints every error's stack
 * to stderr.
 */
export function createQueues(
  connection: Redis,
  prefix: string,
  logger?: Logger,
): { email: Queue; maintenance: Queue } {
  const queues = {
    email: new Queue(QUEUE_EMAIL, { connection, prefix: `${prefix}:bull` }),
    maintenance: new Queue(QUEUE_MAINTENANCE, { connection, prefix: `${prefix}:bull` }),
  };
  if (logger) {
    for (const queue of [queues.email, queues.maintenance]) {
      const warn = atMostEvery(CONNECTION_ERROR_LOG_MS, (fields) =>
        logger.warn(fields, "queue connection error"),
      );
      queue.on("error", (err) => warn({ queue: queue.name, err: err.message }));
    }
  }
  return queues;
}
