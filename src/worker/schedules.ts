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
