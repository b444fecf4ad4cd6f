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

/** Retries with exponential backoff: 2 s, 4 s, 8 s … over 8 attempts. */
export const emailJobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 14 * 24 * 3600 },
} as const;
