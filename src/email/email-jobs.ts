import type { Job } from "bullmq";
import { type EmailJobDeps, processAccountEmail } from "./account-emails.js";
import { ROTATION_REMINDER_EMAIL } from "./email-queue.js";
import { processRotationReminderEmail } from "./rotation-reminder-email.js";
import { isSecurityEmailJob, processSecurityEmailJob } from "./security-email-jobs.js";

/**
 * The email queue's processor: rotation reminders and account-security emails go to their own
 * senders, every other job to the account emails' (verification and password reset), which refuses a
 * name it does not know.
 */
export function processEmailJob(deps: EmailJobDeps, job: Job): Promise<unknown> {
  if (job.name === ROTATION_REMINDER_EMAIL) return processRotationReminderEmail(deps, job);
  if (isSecurityEmailJob(job.name)) return processSecurityEmailJob(deps, job);
  return processAccountEmail(deps, job);
}
