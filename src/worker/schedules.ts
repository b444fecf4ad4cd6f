import type { Queue } from "bullmq";
import type { Config } from "../config/config.js";
import { type MaintenanceJobName, maintenanceJobOptions } from "../jobs/jobs.js";
import type { Logger } from "../logging/logger.js";

// BullMQ job schedulers rather than timers: the schedule lives in Redis, each run is one job whose id
// is `repeat:<scheduler>:<time>`, and upserting the same scheduler from every worker process at start
// replaces it instead of adding another, so N workers still produce one job per scheduled time.

type Repeat = { every: number; offset: number } | { pattern: string; tz: string };

// An interval schedule carries an explicit offset (its runs fall 1 ms after each multiple of the
// interval). Without one, BullMQ stores the offset it derives from the first run's time and keeps it
// when `every` changes: lowered from 600000 to 1000, a late run then aligned to the old offset and the
// next flush came minutes later. An explicit offset is replaced by every upsert, in the same script.
// It cannot be 0: BullMQ treats 0 as "none".
const INTERVAL_OFFSET_MS = 1;

export function maintenanceSchedules(
  config: Pick<Config, "lastUsedFlushMs" | "rotationReminderCron" | "purgeCron">,
): Record<MaintenanceJobName, Repeat> {
  return {
    "last-used-flush": { every: config.lastUsedFlushMs, offset: INTERVAL_OFFSET_MS },
    "rotation-reminders": { pattern: config.rotationReminderCron, tz: "UTC" },
    purge: { pattern: config.purgeCron, tz: "UTC" },
  };
}

/**
 * Creates or updates the schedulers. A failure is logged, not thrown: another worker may have won a
 * race for the same slot, and the schedule already in Redis keeps running either way.
 */
export async function upsertMaintenanceSchedules(
  queue: Queue,
  config: Pick<Config, "lastUsedFlushMs" | "rotationReminderCron" | "purgeCron">,
  logger: Logger,
): Promise<void> {
  for (const [name, repeat] of Object.entries(maintenanceSchedules(config))) {
    try {
      await queue.upsertJobScheduler(name, repeat, { name, data: {}, opts: maintenanceJobOptions });
    } catch (err) {
      logger.warn({ scheduler: name, err: (err as Error).message }, "could not upsert job scheduler");
    }
  }
}

/** How often a worker checks that the schedulers are still in Redis. */
export const SCHEDULE_CHECK_MS = 15_000;

/**
 * Keeps the schedulers in place while the worker runs. They live in Redis, so a Redis that restarts
 * without its data (this deployment keeps none on disk by default) loses them, and with them every
 * flush, purge and reminder until a worker restarts. `check` counts them (one ZCARD) and upserts all
 * of them when any is missing; `start` runs it every SCHEDULE_CHECK_MS. Any number of workers may do
 * it at once: an upsert replaces, it never adds.
 */
export function createScheduleKeeper(
  queue: Queue,
  config: Pick<Config, "lastUsedFlushMs" | "rotationReminderCron" | "purgeCron">,
  logger: Logger,
) {
  const expected = Object.keys(maintenanceSchedules(config)).length;
  let timer: ReturnType<typeof setInterval> | undefined;
  let checking = false;

  /** True when schedulers were missing and have been put back. */
  async function check(): Promise<boolean> {
    if (checking) return false;
    checking = true;
    try {
      const present = await queue.getJobSchedulersCount();
      if (present >= expected) return false;
      await upsertMaintenanceSchedules(queue, config, logger);
      logger.warn(
        { found: present, expected },
        "job schedulers were missing from Redis (restarted without its data?); put back",
      );
      return true;
    } catch {
      // Redis away: the connection's own error lines say so; the next check tries again.
      return false;
    } finally {
      checking = false;
    }
  }

  return {
    check,
    start() {
      timer ??= setInterval(() => void check(), SCHEDULE_CHECK_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
