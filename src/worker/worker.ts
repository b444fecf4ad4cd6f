import { type Job, type Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Mailer } from "../email/mailer.js";
import { QUEUE_EMAIL, QUEUE_MAINTENANCE } from "../jobs/jobs.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";

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

export interface KeywardWorker {
  /** Idempotent: finishes the jobs in hand, then closes. */
  close(): Promise<void>;
}

export type JobProcessor = (deps: WorkerDeps, job: Job) => Promise<unknown>;

/**
 * The worker process's composition root: BullMQ workers wired to the processors. Processors are
 * passed in by name so this module stays the only place that knows BullMQ's wiring.
 */
export function createWorker(
  deps: WorkerDeps,
  processors: { email: JobProcessor; maintenance: JobProcessor },
): KeywardWorker {
  const prefix = `${deps.config.redisPrefix}:bull`;
  const email = new Worker(QUEUE_EMAIL, (job) => processors.email(deps, job), {
    connection: deps.bullConnection,
    prefix,
    concurrency: deps.config.workerConcurrency,
  });
  const maintenance = new Worker(QUEUE_MAINTENANCE, (job) => processors.maintenance(deps, job), {
    connection: deps.bullConnection,
    prefix,
    concurrency: 1,
  });
  for (const w of [email, maintenance]) {
    w.on("failed", (job, err) =>
      deps.logger.warn({ job: job?.name, jobId: job?.id, err: err.message }, "job failed"),
    );
    w.on("error", (err) => deps.logger.error({ err: err.message }, "worker error"));
  }
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= Promise.all([email.close(), maintenance.close()]).then(() => undefined);
      return closing;
    },
  };
}
