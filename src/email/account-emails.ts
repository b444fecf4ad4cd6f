import { type Job, UnrecoverableError } from "bullmq";
import { findAccountById } from "../accounts/accounts.js";
import { type EmailTokenPurpose, mintEmailToken } from "../accounts/email-tokens.js";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import type { AccountEmailJobName } from "./email-queue.js";
import type { Mailer } from "./mailer.js";
import { consoleLink, type EmailContent, passwordResetEmail, verificationEmail } from "./templates.js";

export interface EmailJobDeps {
  config: Pick<Config, "consoleUrl">;
  database: Database;
  mailer: Mailer;
  logger: Logger;
  clock: Clock;
}

const KINDS: Record<
  AccountEmailJobName,
  {
    purpose: EmailTokenPurpose;
    page: "verify-email" | "reset-password";
    render: (link: string) => EmailContent;
  }
> = {
  "verification-email": { purpose: "verify_email", page: "verify-email", render: verificationEmail },
  "password-reset-email": { purpose: "reset_password", page: "reset-password", render: passwordResetEmail },
};

function isAccountEmailJobName(name: string): name is AccountEmailJobName {
  return Object.hasOwn(KINDS, name);
}

/**
 * Sends a verification or password-reset email. Safe to run again: every attempt of one job uses the
 * idempotency key `<job name>/<job id>`, so Resend delivers it once however often BullMQ retries.
 * A retryable failure (429, 5xx, network) throws so BullMQ retries with backoff; anything else is
 * unrecoverable and stops the retries.
 */
export async function processAccountEmail(deps: EmailJobDeps, job: Job): Promise<unknown> {
  if (!isAccountEmailJobName(job.name)) throw new UnrecoverableError(`unknown email job: ${job.name}`);
  const kind = KINDS[job.name];
  const accountId = (job.data as { accountId?: unknown }).accountId;
  if (typeof accountId !== "string" || !job.id) throw new UnrecoverableError("malformed email job");

  const account = await findAccountById(deps.database.db, accountId);
  if (!account || account.disabledAt) return { skipped: "no such active account" };
  if (job.name === "verification-email" && account.emailVerifiedAt) return { skipped: "already verified" };

  // Minted per attempt: only the hash is kept, so an earlier attempt's token cannot be recovered. Each
  // one stays valid until it expires, so whichever email actually arrived works.
  const token = await mintEmailToken(deps.database.db, {
    accountId: account.id,
    purpose: kind.purpose,
    requestId: job.id,
    now: deps.clock.now(),
  });
  const content = kind.render(consoleLink(deps.config.consoleUrl, kind.page, token));
  const result = await deps.mailer.send({
    to: account.email,
    ...content,
    idempotencyKey: `${job.name}/${job.id}`,
  });
  if (result.ok) {
    deps.logger.info(
      { job: job.name, jobId: job.id, accountId: account.id, emailId: result.id },
      "email sent",
    );
    return { sent: result.id };
  }
  // Resend answers 409 when an idempotency key was already used with another body (or is in use right
  // now). On a retry that means an earlier attempt's email, with its own still-valid token, went out.
  if (result.status === 409 && job.attemptsMade > 0) {
    deps.logger.info(
      { job: job.name, jobId: job.id, accountId: account.id },
      "email already sent by an earlier attempt",
    );
    return { sent: "earlier-attempt" };
  }
  const reason = `email send failed (${result.status ?? "network"}): ${result.message}`;
  if (result.retryable) throw new Error(reason);
  throw new UnrecoverableError(reason);
}
