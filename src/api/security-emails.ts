import { randomUUID } from "node:crypto";
import type { Request } from "express";
import { emailJobOptions, type SecurityEmailJobName, type SecurityEmailJobs } from "../email/email-queue.js";
import { withTimeout } from "../time/with-timeout.js";
import type { AppDeps } from "./deps.js";

const QUEUE_WAIT_MS = 2_000;

/**
 * Queues an account-security email after the change it describes has been committed. A queueing
 * failure is logged, never turned into a failed answer: the change itself happened, and undoing a
 * deletion or an enrolment because a notice could not be queued would be worse than a lost notice.
 */
export async function queueSecurityEmail<N extends SecurityEmailJobName>(
  deps: AppDeps,
  req: Request,
  name: N,
  data: SecurityEmailJobs[N],
): Promise<void> {
  // The deletion notice carries an address: it leaves Redis as soon as it is sent.
  const retention = name === "account-deleted-email" ? { removeOnComplete: true } : {};
  const queued = deps.emailQueue.add(name, data, { ...emailJobOptions, ...retention, jobId: randomUUID() });
  try {
    await withTimeout(queued, QUEUE_WAIT_MS);
  } catch (err) {
    req.log.error({ err, job: name, accountId: data.accountId }, "could not queue a security email in time");
    queued.catch(() => {});
  }
}
