// Job names and payloads shared by the web process (which enqueues) and the worker (which runs them).
// Payloads carry ids only, never a secret: tokens are minted by the worker when it sends.

export const QUEUE_EMAIL = "email";
export const QUEUE_MAINTENANCE = "maintenance";

export interface VerificationEmailJob {
  accountId: string;
}
export interface PasswordResetEmailJob {
  accountId: string;
}

export interface EmailJobs {
  "verification-email": VerificationEmailJob;
  "password-reset-email": PasswordResetEmailJob;
}
export type EmailJobName = keyof EmailJobs;

export type MaintenanceJobName = "last-used-flush" | "rotation-reminders" | "purge";

/**
 * One account's rotation reminder. It rides the email queue (retries, backoff, concurrency) but is
 * processed by src/reminders; it is not an EmailJobName because it mints no token. `remindedAt` is the
 * claim stamp written to the keys' last_reminder_at, so the email lists exactly the keys claimed.
 */
export const ROTATION_REMINDER_EMAIL = "rotation-reminder-email";
export interface RotationReminderEmailJob {
  accountId: string;
  remindedAt: string;
}

/** Scheduled maintenance runs: completed ones removed, failed ones kept for inspection, bounded. */
export const maintenanceJobOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { count: 500, age: 7 * 24 * 3600 },
} as const;

/** Retries with exponential backoff: 2 s, 4 s, 8 s … over 8 attempts. */
export const emailJobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 14 * 24 * 3600 },
} as const;
