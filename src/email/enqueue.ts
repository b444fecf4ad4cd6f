import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import { type EmailJobName, type EmailJobs, emailJobOptions } from "../jobs/jobs.js";

/**
 * Queues one email request. The job carries the account id only: the token is minted by the worker
 * when it sends, so no secret ever rests in Redis. The job id is fresh per request, so one request is
 * one job, and it doubles as the email's idempotency key across retries.
 */
export async function enqueueEmail<N extends EmailJobName>(
  queue: Queue,
  name: N,
  data: EmailJobs[N],
): Promise<string> {
  const jobId = randomUUID();
  await queue.add(name, data, { ...emailJobOptions, jobId });
  return jobId;
}
