import { type Job, UnrecoverableError } from "bullmq";
import { and, eq } from "drizzle-orm";
import { findAccountById } from "../accounts/accounts.js";
import { isEmailTaken, mintEmailChangeToken } from "../accounts/email-change.js";
import { auditEvents } from "../db/schema.js";
import { summariseUserAgent } from "../sessions/user-agent.js";
import type { EmailJobDeps } from "./account-emails.js";
import { SECURITY_EMAIL_JOBS, type SecurityEmailJobName } from "./email-queue.js";
import type { OutgoingEmail } from "./mailer.js";
import {
  accountDeletedEmail,
  emailAddressTakenEmail,
  emailChangeLinkEmail,
  emailChangeNoticeEmail,
  maskEmail,
  newSigninEmail,
  totpDisabledEmail,
  totpEnabledEmail,
} from "./security-templates.js";

export function isSecurityEmailJob(name: string): name is SecurityEmailJobName {
  return (SECURITY_EMAIL_JOBS as readonly string[]).includes(name);
}

/**
 * Sends one email of a job, retry-safe as processEmailJob is: the idempotency key is the job's (plus
 * which of its emails), so Resend delivers it once however often BullMQ retries; 429, 5xx and the
 * network are retried, anything else is final. A 409 on a retry means an earlier attempt sent it.
 */
async function send(
  deps: EmailJobDeps,
  job: Job,
  email: Omit<OutgoingEmail, "idempotencyKey">,
  part: string,
) {
  const result = await deps.mailer.send({ ...email, idempotencyKey: `${job.name}/${job.id}/${part}` });
  if (result.ok) {
    deps.logger.info({ job: job.name, jobId: job.id, part, emailId: result.id }, "email sent");
    return;
  }
  if (result.status === 409 && job.attemptsMade > 0) return;
  const reason = `email send failed (${result.status ?? "network"}): ${result.message}`;
  if (result.retryable) throw new Error(reason);
  throw new UnrecoverableError(reason);
}

/** The account-security emails; each reads what it says from PostgreSQL when it runs. */
export async function processSecurityEmailJob(deps: EmailJobDeps, job: Job): Promise<unknown> {
  const data = job.data as { accountId?: unknown; eventId?: unknown; to?: unknown };
  if (!isSecurityEmailJob(job.name) || typeof data.accountId !== "string" || !job.id) {
    throw new UnrecoverableError(`malformed security email job: ${job.name}`);
  }
  if (job.name === "account-deleted-email") {
    if (typeof data.to !== "string") throw new UnrecoverableError("deletion email without an address");
    await send(deps, job, { to: data.to, ...accountDeletedEmail() }, "deleted");
    return { sent: 1 };
  }
  const account = await findAccountById(deps.database.db, data.accountId);
  if (!account || account.disabledAt) return { skipped: "no such active account" };

  switch (job.name) {
    case "new-signin-email": {
      if (typeof data.eventId !== "string")
        throw new UnrecoverableError("new sign-in email without an event");
      const [event] = await deps.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.id, data.eventId), eq(auditEvents.accountId, account.id)))
        .limit(1);
      if (!event || !account.newSigninEmails) return { skipped: "no event, or alerts turned off" };
      const where = { ip: event.ip, device: summariseUserAgent(event.userAgent), at: event.createdAt };
      await send(deps, job, { to: account.email, ...newSigninEmail(where) }, "signin");
      return { sent: 1 };
    }
    case "totp-enabled-email":
      await send(deps, job, { to: account.email, ...totpEnabledEmail() }, "totp-on");
      return { sent: 1 };
    case "totp-disabled-email":
      await send(deps, job, { to: account.email, ...totpDisabledEmail() }, "totp-off");
      return { sent: 1 };
    case "email-change-email": {
      const pending = account.pendingEmail;
      if (!pending) return { skipped: "no change pending" };
      // Taken by another account: that address hears of it, without a link, and this request stops
      // there; the requester is answered alike either way, so the request reveals nobody's account.
      if (await isEmailTaken(deps.database.db, pending, account.id)) {
        await send(deps, job, { to: pending, ...emailAddressTakenEmail() }, "new");
      } else {
        const token = await mintEmailChangeToken(deps.database.db, {
          accountId: account.id,
          newEmail: pending,
          requestId: job.id,
          now: deps.clock.now(),
        });
        const link = new URL(`${deps.config.consoleUrl}/confirm-email`);
        link.searchParams.set("token", token);
        await send(deps, job, { to: pending, ...emailChangeLinkEmail(link.toString()) }, "new");
      }
      await send(deps, job, { to: account.email, ...emailChangeNoticeEmail(maskEmail(pending)) }, "old");
      return { sent: 2 };
    }
  }
  throw new UnrecoverableError(`unhandled security email job: ${job.name}`);
}
