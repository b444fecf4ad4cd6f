import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";

// The email queue: its name, its jobs and their payloads, shared by the web process (which queues
// verification and reset emails), the reminder run (which queues reminders) and the worker (which
// sends them). Payloads carry ids only, never a secret: tokens are minted by the worker when it sends.

export const QUEUE_EMAIL = "email";

export interface VerificationEmailJob {
  accountId: string;
}
export interface PasswordResetEmailJob {
  accountId: string;
}
/** The emails that carry a token for the account (minted by the worker, per attempt). */
export interface AccountEmailJobs {
  "verification-email": VerificationEmailJob;
  "password-reset-email": PasswordResetEmailJob;
}
export type AccountEmailJobName = keyof AccountEmailJobs;

/**
 * One account's rotation reminder. It mints no token. `remindedAt` is the claim stamp written to the
 * keys' last_reminder_at, so the email lists exactly the keys claimed.
 */
export const ROTATION_REMINDER_EMAIL = "rotation-reminder-email";
export interface RotationReminderEmailJob {
  accountId: string;
  remindedAt: string;
}

/**
 * Account-security emails (src/email/security-email-jobs.ts). They ride the email queue like the
 * others; ids only, except the deletion notice, whose address is gone from the database by the time
 * it is sent (that job is removed from Redis as soon as it completes).
 */
export interface SecurityEmailJobs {
  /** `eventId`: the session.created audit event, which says where and when. */
  "new-signin-email": { accountId: string; eventId: string };
  "totp-enabled-email": { accountId: string };
  "totp-disabled-email": { accountId: string };
  /** A confirmation link to the pending address and a notice to the current one. */
  "email-change-email": { accountId: string };
  "account-deleted-email": { accountId: string; to: string };
}
export type SecurityEmailJobName = keyof SecurityEmailJobs;
export const SECURITY_EMAIL_JOBS: readonly SecurityEmailJobName[] = [
  "new-signin-email",
  "totp-enabled-email",
  "totp-disabled-email",
  "email-change-email",
  "account-deleted-email",
];

/** Retries with exponential backoff: 2 s, 4 s, 8 s … over 8 attempts. */
export const emailJobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 14 * 24 * 3600 },
} as const;

export type EmailJobs = AccountEmailJobs & SecurityEmailJobs;

/**
 * Queues one email, an account's or a security notice. The job id is fresh per request, so one request
 * is one job, and it doubles as the email's idempotency key across retries. The deletion notice
 * carries an address: it leaves Redis as soon as it is sent.
 */
export async function enqueueEmail<N extends keyof EmailJobs>(
  queue: Queue,
  name: N,
  data: EmailJobs[N],
): Promise<string> {
  const jobId = randomUUID();
  const retention = name === "account-deleted-email" ? { removeOnComplete: true } : {};
  await queue.add(name, data, { ...emailJobOptions, ...retention, jobId });
  return jobId;
}
