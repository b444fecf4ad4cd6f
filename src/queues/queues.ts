import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUE_EMAIL, QUEUE_MAINTENANCE } from "../jobs/jobs.js";

/** The BullMQ queues, on one shared connection; `prefix` isolates deployments (and test files). */
export function createQueues(connection: Redis, prefix: string): { email: Queue; maintenance: Queue } {
  return {
    email: new Queue(QUEUE_EMAIL, { connection, prefix: `${prefix}:bull` }),
    maintenance: new Queue(QUEUE_MAINTENANCE, { connection, prefix: `${prefix}:bull` }),
  };
}
