import { Worker } from "bullmq";
import { QUEUE_EMAIL } from "../email/email-queue.js";
import { loggableMessage } from "../errors/loggable-error.js";
import type { JobProcessor, WorkerDeps } from "../jobs/job-processor.js";
import { QUEUE_MAINTENANCE } from "../jobs/jobs.js";
import { atMostEvery, CONNECTION_ERROR_LOG_MS } from "../logging/at-most-every.js";

export interface KeywardWorker {
  /** Idempotent: finishes the jobs in hand, then closes. */
  close(): Promise<void>;
}

/**
 * The worker process's composition root: BullMQ workers wired to the processors. Processors are
 * passed in by name so this module stays the only place that knows BullMQ's wiring.
 */
export function createWorker(
  deps: WorkerDeps,
  processors: { email: JobProcessor; maintenance: JobProcessor },
): KeywardWorker {
  const prefix = `${deps.config.redisPrefix}:bull`;
  const common = {
    connection: deps.bullConnection,
    prefix,
    // A job cut off by a kill keeps its lock until lockDuration passes, then a stalled check moves it
    // back to wait; a third stall fails it (kept in the failed set) rather than looping forever.
    lockDuration: deps.config.workerLockDurationMs,
    stalledInterval: deps.config.workerLockDurationMs,
    maxStalledCount: 2,
    // Defaults for jobs added without their own retention (job options win when set).
    removeOnComplete: { count: 100 },
    removeOnFail: { count: 1000, age: 14 * 24 * 3600 },
  };
  const email = new Worker(QUEUE_EMAIL, (job) => processors.email(deps, job), {
    ...common,
    concurrency: deps.config.workerConcurrency,
  });
  // Concurrency 1: maintenance runs are short, and one at a time per process keeps flushes serial.
  const maintenance = new Worker(QUEUE_MAINTENANCE, (job) => processors.maintenance(deps, job), {
    ...common,
    concurrency: 1,
  });
  const jobFailed = (fields: Record<string, unknown>) => deps.logger.warn(fields, "job failed");
  // A scheduled run fails at every interval of an outage (the flush every 10 s while PostgreSQL is
  // away): one line per job name per window tells of it, with the repeats held back. An email's
  // failure is about that one email, and keeps its own line.
  const scheduledRunFailed = new Map<string, (fields: Record<string, unknown>) => void>();
  maintenance.on("failed", (job, err) => {
    const name = job?.name ?? "";
    let log = scheduledRunFailed.get(name);
    if (!log) {
      log = atMostEvery(CONNECTION_ERROR_LOG_MS, jobFailed);
      scheduledRunFailed.set(name, log);
    }
    log({ job: name, jobId: job?.id, err: loggableMessage(err) });
  });
  email.on("failed", (job, err) => jobFailed({ job: job?.name, jobId: job?.id, err: loggableMessage(err) }));
  for (const w of [email, maintenance]) {
    w.on("completed", (job) => deps.logger.debug({ job: job.name, jobId: job.id }, "job completed"));
    // Mostly its connections failing, again at every reconnect attempt while Redis is away.
    const error = atMostEvery(CONNECTION_ERROR_LOG_MS, (fields) => deps.logger.error(fields, "worker error"));
    w.on("error", (err) => error({ queue: w.name, err: err.message }));
  }
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= Promise.all([email.close(), maintenance.close()]).then(() => undefined);
      return closing;
    },
  };
}
