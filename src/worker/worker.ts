import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";

export interface WorkerDeps {
  config: Config;
  database: Database;
  redis: Redis;
  /** A connection for BullMQ (maxRetriesPerRequest: null). */
  bullConnection: Redis;
  queues: { email: Queue; maintenance: Queue };
  logger: Logger;
  clock: Clock;
}

export interface KeywardWorker {
  /** Idempotent: finishes jobs in hand, then closes. */
  close(): Promise<void>;
}
