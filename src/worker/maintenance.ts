import { type Job, UnrecoverableError } from "bullmq";
import type { JobProcessor, WorkerDeps } from "../jobs/job-processor.js";
import type { MaintenanceJobName } from "../jobs/jobs.js";
import { purgeExpired } from "../purge/purge.js";
import { runRotationReminders } from "../reminders/rotation-reminders.js";
import { flushUsage } from "../usage/flush.js";

/** Runs a scheduled maintenance job by its name. */
export const processMaintenanceJob: JobProcessor = async (deps: WorkerDeps, job: Job) => {
  const name = job.name as MaintenanceJobName;
  switch (name) {
    case "last-used-flush":
      return flushUsage(deps);
    case "rotation-reminders":
      return runRotationReminders(deps, await claimStampOf(deps, job));
    case "purge":
      return purgeExpired(deps);
    default:
      throw new UnrecoverableError(`unknown maintenance job: ${String(name satisfies never)}`);
  }
};

/**
 * The first attempt of a reminder run fixes its claim stamp in the job's data before claiming, so a
 * retry (after a failure or a kill) reuses it and finds the keys the first attempt claimed.
 */
async function claimStampOf(deps: WorkerDeps, job: Job): Promise<Date> {
  const stored = (job.data as { claimAt?: unknown } | undefined)?.claimAt;
  if (typeof stored === "string" && !Number.isNaN(Date.parse(stored))) return new Date(stored);
  const claimAt = deps.clock.now();
  await job.updateData({ ...(job.data ?? {}), claimAt: claimAt.toISOString() });
  return claimAt;
}
