import { type Job, UnrecoverableError } from "bullmq";
import { isActiveKeyFragment } from "../keys/active-key.js";
import type { EmailJobDeps } from "./account-emails.js";
import type { RotationReminderEmailJob } from "./email-queue.js";
import { rotationReminderEmail } from "./templates.js";

/**
 * Sends one account's reminder for the keys stamped with `remindedAt` that are still active. The
 * Resend idempotency key is (account, claim), so retries of the job deliver one email.
 */
async function sendRotationReminder(
  deps: EmailJobDeps,
  data: RotationReminderEmailJob,
): Promise<{ sent: string } | { skipped: string }> {
  const sql = deps.database.sql;
  const [account] = await sql<{ email: string; days: number }[]>`
    select email, rotation_reminder_days as days from accounts
    where id = ${data.accountId} and disabled_at is null`;
  if (!account || account.days === 0) return { skipped: "account gone, disabled or reminders off" };
  const rows = await sql<{ name: string; last4: string; created_at: string }[]>`
    select name, last4, created_at from api_keys
    where account_id = ${data.accountId} and last_reminder_at = ${data.remindedAt}
      and ${isActiveKeyFragment(sql, "api_keys", deps.clock.now())}
    order by created_at, id`;
  if (rows.length === 0) return { skipped: "no active key left to remind of" };
  const keys = rows.map((r) => ({ name: r.name, last4: r.last4, createdAt: new Date(r.created_at) }));
  const content = rotationReminderEmail(deps.config.consoleUrl, account.days, keys);
  const result = await deps.mailer.send({
    to: account.email,
    ...content,
    idempotencyKey: `rotation-reminder/${data.accountId}/${new Date(data.remindedAt).getTime()}`,
  });
  if (result.ok) {
    deps.logger.info(
      { accountId: data.accountId, keys: keys.length, emailId: result.id },
      "rotation reminder sent",
    );
    return { sent: result.id };
  }
  const reason = `rotation reminder send failed (${result.status ?? "network"}): ${result.message}`;
  if (result.retryable) throw new Error(reason);
  throw new UnrecoverableError(reason);
}

export async function processRotationReminderEmail(deps: EmailJobDeps, job: Job): Promise<unknown> {
  const data = job.data as Partial<RotationReminderEmailJob>;
  if (
    typeof data.accountId !== "string" ||
    typeof data.remindedAt !== "string" ||
    Number.isNaN(Date.parse(data.remindedAt))
  ) {
    throw new UnrecoverableError("malformed rotation reminder job");
  }
  return sendRotationReminder(deps, { accountId: data.accountId, remindedAt: data.remindedAt });
}
