// The maintenance queue's name, jobs and options, shared by the worker (which runs them) and the
// schedules. The email queue's are in src/email/email-queue.ts.

export const QUEUE_MAINTENANCE = "maintenance";

export type MaintenanceJobName = "last-used-flush" | "rotation-reminders" | "purge";

/** Scheduled maintenance runs: completed ones removed, failed ones kept for inspection, bounded. */
export const maintenanceJobOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { count: 500, age: 7 * 24 * 3600 },
} as const;
