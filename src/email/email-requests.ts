import type { Queue } from "bullmq";
import type { AbuseLimits } from "../accounts/abuse-limits.js";
import { findAccountByEmail } from "../accounts/accounts.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import { TimedOut, withTimeout } from "../time/with-timeout.js";
import {
  type AccountEmailJobName,
  type EmailJobs,
  enqueueEmail,
  type SecurityEmailJobName,
} from "./email-queue.js";

/** How long a request waits for its email to be queued before answering anyway. */
export const EMAIL_QUEUE_WAIT_MS = 2_000;

export interface EmailRequestDeps {
  db: Db;
  emailQueue: Queue;
  limits: AbuseLimits;
  logger: Logger;
}

/** What ended a request's wait on the queue's Redis: its answer, its error, or the bound. */
export type QueueWaitEnd = "answered" | "failed" | "timed_out";

export type EmailRequestResult =
  | { ok: true; waitEnded: QueueWaitEnd }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

/**
 * Queues an account's email and waits for Redis to take it, at most EMAIL_QUEUE_WAIT_MS. A failure
 * must not undo what the request did (a signup) nor reveal anything: the user can ask again. Nor may
 * an unreachable Redis hold the answer: BullMQ's connection keeps the job until Redis is back, when
 * it is queued and sent.
 */
export async function queueAccountEmail(
  deps: Pick<EmailRequestDeps, "emailQueue" | "logger">,
  name: AccountEmailJobName,
  accountId: string,
): Promise<QueueWaitEnd> {
  return waitForQueueing(deps.logger, enqueueEmail(deps.emailQueue, name, { accountId }), {
    job: name,
    accountId,
  });
}

/**
 * Queues an account-security email after the change it describes has been committed, bounded alike.
 * A queueing failure is logged, never turned into a failed answer: the change itself happened, and
 * undoing a deletion or an enrolment because a notice could not be queued would be worse than a lost
 * notice.
 */
export async function queueSecurityEmail<N extends SecurityEmailJobName>(
  deps: Pick<EmailRequestDeps, "emailQueue" | "logger">,
  name: N,
  data: EmailJobs[N],
): Promise<QueueWaitEnd> {
  const queued = enqueueEmail(deps.emailQueue, name, data);
  return waitForQueueing(deps.logger, queued, { job: name, accountId: data.accountId });
}

/** The bounded wait on a job being queued, and the log lines of how it ended (ids only). */
async function waitForQueueing(
  logger: Logger,
  queued: Promise<unknown>,
  job: { job: string; accountId: string },
): Promise<QueueWaitEnd> {
  const ended = await waitEnd(queued);
  if (ended === "answered") return ended;
  if (ended === "failed") {
    queued.catch((err: unknown) => logger.error({ err, ...job }, "could not queue email"));
    return ended;
  }
  logger.error(job, "Redis is not answering: the email will be queued when it is back");
  queued.then(
    () => logger.info(job, "email queued after Redis came back"),
    (err: unknown) => logger.error({ err, ...job }, "could not queue email"),
  );
  return ended;
}

/**
 * With no email to queue, the answer still waits for one round trip to the queue's Redis, bounded
 * alike: otherwise an address with an account would answer later than one without (a little in normal
 * times, EMAIL_QUEUE_WAIT_MS later while Redis is away), and the time would tell who has an account.
 */
function waitLikeQueueing(emailQueue: Queue): Promise<QueueWaitEnd> {
  // isPaused(): one read on the queue's own connection, as cheap as the add it stands in for.
  return waitEnd(emailQueue.isPaused());
}

async function waitEnd(answer: Promise<unknown>): Promise<QueueWaitEnd> {
  return withTimeout(answer, EMAIL_QUEUE_WAIT_MS).then(
    () => "answered" as const,
    (err: unknown) => (err instanceof TimedOut ? "timed_out" : "failed"),
  );
}

/** Sends the verification email again, only to an unverified, enabled account; the same answer otherwise. */
export async function requestVerificationEmail(
  deps: EmailRequestDeps,
  input: { email: string; ip: string; signal?: AbortSignal },
): Promise<EmailRequestResult> {
  const wait = await deps.limits.consumeVerificationEmail(input.email, input.ip);
  if (wait !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: wait };
  const account = await findAccountByEmail(deps.db, input.email);
  // A look-up held by a stalled PostgreSQL past the call's deadline was answered 503: no email then.
  input.signal?.throwIfAborted();
  const waitEnded =
    account && !account.emailVerifiedAt && !account.disabledAt
      ? await queueAccountEmail(deps, "verification-email", account.id)
      : await waitLikeQueueing(deps.emailQueue);
  return { ok: true, waitEnded };
}

/** Emails a password-reset link to an enabled account; the same answer for any other address. */
export async function requestPasswordReset(
  deps: EmailRequestDeps,
  input: { email: string; ip: string; signal?: AbortSignal },
): Promise<EmailRequestResult> {
  const wait = await deps.limits.consumePasswordReset(input.email, input.ip);
  if (wait !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: wait };
  const account = await findAccountByEmail(deps.db, input.email);
  input.signal?.throwIfAborted();
  const waitEnded =
    account && !account.disabledAt
      ? await queueAccountEmail(deps, "password-reset-email", account.id)
      : await waitLikeQueueing(deps.emailQueue);
  return { ok: true, waitEnded };
}
