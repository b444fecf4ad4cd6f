import { type Job, UnrecoverableError } from "bullmq";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Mailer } from "../email/mailer.js";
import type { EmailContent } from "../email/templates.js";
import type { RotationReminderEmailJob } from "../jobs/jobs.js";
import { isActiveKeyFragment } from "../keys/active-key.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";

export interface ReminderEmailDeps {
  config: Pick<Config, "consoleUrl">;
  database: Database;
  mailer: Mailer;
  logger: Logger;
  clock: Clock;
}

export interface RemindedKey {
  name: string;
  last4: string;
  createdAt: Date;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Names each key with its name and last4 (never more of it) and links to the console's keys page. */
export function rotationReminderEmail(consoleUrl: string, days: number, keys: RemindedKey[]): EmailContent {
  const link = `${consoleUrl}/keys`;
  const plural = keys.length === 1 ? "" : "s";
  const subject = `Time to rotate ${keys.length} API key${plural}`;
  const intro = `These API keys were created more than ${days} days ago. Rotating keys regularly limits the damage of a key that leaked without anyone noticing:`;
  const line = (k: RemindedKey) =>
    `${k.name} (ending in ${k.last4}), created ${k.createdAt.toISOString().slice(0, 10)}`;
  const outro =
    "Rotate or revoke them in the console. You can change how often we remind you, or turn these emails off, in your account settings.";
  const text = [intro, "", ...keys.map((k) => `- ${line(k)}`), "", link, "", outro].join("\n");
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    `<ul>${keys.map((k) => `<li>${escapeHtml(line(k))}</li>`).join("")}</ul>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    `<p>${escapeHtml(outro)}</p>`,
  ].join("\n");
  return { subject, text, html };
}

/**
 * Sends one account's reminder for the keys stamped with `remindedAt` that are still active. The
 * Resend idempotency key is (account, claim), so retries of the job deliver one email.
 */
export async function sendRotationReminder(
  deps: ReminderEmailDeps,
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

export async function processRotationReminderEmail(deps: ReminderEmailDeps, job: Job): Promise<unknown> {
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
