import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUE_EMAIL } from "../email/email-queue.js";
import { QUEUE_MAINTENANCE } from "../jobs/jobs.js";
import type { Logger } from "../logging/logger.js";

/**
 * The BullMQ queues, on one shared connection; `prefix` isolates deployments (and test files). With a
 * logger, each queue's connection errors are logged as one JSON line each: without a listener BullMQ
 * prints every error's stack to stderr.
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
      queue.on("error", (err) =>
        logger.warn({ queue: queue.name, err: err.message }, "queue connection error"),
      );
    }
  }
  return queues;
}
