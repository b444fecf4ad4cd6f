import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Mailer } from "../email/mailer.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";

/** Everything a job may need, built once by the worker process (or by a test, on real services). */
export interface WorkerDeps {
  config: Config;
  database: Database;
  redis: Redis;
  /** A connection for BullMQ (maxRetriesPerRequest: null). */
  bullConnection: Redis;
  queues: { email: Queue; maintenance: Queue };
  mailer: Mailer;
  logger: Logger;
  clock: Clock;
}

/** Runs one job of a queue; each processor declares the part of WorkerDeps it reads. */
export type JobProcessor<Deps = WorkerDeps> = (deps: Deps, job: Job) => Promise<unknown>;
