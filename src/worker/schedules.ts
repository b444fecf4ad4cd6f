import type { Queue } from "bullmq";
import type { Config } from "../config/config.js";
import { type MaintenanceJobName, maintenanceJobOptions } from "../jobs/jobs.js";
import type { Logger } from "../logging/logger.js";

// BullMQ job schedulers rather than timers: the schedule lives in Redis, each run is one job whose id
// is `repeat:<scheduler>:<time>`, and upserting the same scheduler from every worker process at start
// replaces it instead of adding another, so N workers still produce one job per scheduled time.

type Repeat = { every: number } | { pattern: string; tz: string };

export function maintenanceSchedules(
  config: Pick<Config, "lastUsedFlushMs" | "rotationReminderCron" | "purgeCron">,
): Record<MaintenanceJobName, Repeat> {
  return {
    "last-used-flush": { every: config.lastUsedFlushMs },
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
