import { type Job, UnrecoverableError } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, emailTokens } from "../src/db/schema.js";
import { processEmailJob } from "../src/email/email-jobs.js";
import { enqueueEmail } from "../src/email/email-queue.js";
import type { WorkerDeps } from "../src/jobs/job-processor.js";
import { hashSecret } from "../src/secrets/secrets.js";
import { manualClock } from "../src/time/clock.js";
import { createAccount } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub, tokenFromEmail } from "./support/resend-stub.js";

// The email processor called directly with a job, as BullMQ would call it on each attempt.

let env: TestEnv;
let stub: ResendStub;
let deps: WorkerDeps;
let loggedDeps: WorkerDeps;
const clock = manualClock(new Date("2026-05-01T12:00:00Z"));
let jobCounter = 0;

beforeAll(async () => {
  env = await createTestEnv();
  stub = await startResendStub();
  const config = env.configWith({ RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: stub.url });
  // No processors: these tests run the email processor themselves.
  deps = (await env.makeWorker({}, { config, clock })).deps;
  loggedDeps = (await env.makeWorker({}, { clock })).deps;
});
afterAll(async () => {
  await env.close();
  await stub.close();
});

function job(name: string, accountId: string): Job {
  return { name, id: `job-${++jobCounter}`, data: { accountId }, attemptsMade: 0 } as unknown as Job;
}

const tokensOf = (accountId: string) =>
  env.database.db.select().from(emailTokens).where(eq(emailTokens.accountId, accountId));

describe("processEmailJob", () => {
  it("mints a hashed 24-hour verification token and sends the link with the job's idempotency key", async () => {
    const account = await createAccount(env, { verified: false });
    const j = job("verification-email", account.id);
    await processEmailJob(deps, j);
    const sent = stub.delivered.at(-1);
    expect(sent).toMatchObject({ to: account.email, idempotencyKey: `verification-email/${j.id}` });
    const token = tokenFromEmail(sent as { text: string }, "verify-email");
    expect(sent?.html).toContain(`http://console.test/verify-email?token=${token}`);
    const [row] = await tokensOf(account.id);
    expect(row).toMatchObject({
      purpose: "verify_email",
      requestId: j.id,
      tokenHash: hashSecret(token),
      usedAt: null,
    });
    expect(row?.expiresAt.getTime()).toBe(clock.now().getTime() + 24 * 3600_000);
  });

  it("mints a 1-hour reset token linked to /reset-password", async () => {
    const account = await createAccount(env);
    await processEmailJob(deps, job("password-reset-email", account.id));
    const token = tokenFromEmail(stub.delivered.at(-1) as { text: string }, "reset-password");
    const [row] = await tokensOf(account.id);
    expect(row).toMatchObject({ purpose: "reset_password", tokenHash: hashSecret(token) });
    expect(row?.expiresAt.getTime()).toBe(clock.now().getTime() + 3600_000);
  });

  it("sends once when the same job runs twice (a retry after a lost answer)", async () => {
    const account = await createAccount(env, { verified: false });
    const j = job("verification-email", account.id);
    const before = stub.delivered.length;
    await processEmailJob(deps, j);
    await processEmailJob(deps, j);
    expect(stub.delivered.length - before).toBe(1);
    expect(stub.requests.filter((r) => r.idempotencyKey === `verification-email/${j.id}`)).toHaveLength(2);
  });

  it("does nothing for an account already verified, disabled or gone", async () => {
    const verified = await createAccount(env);
    const disabled = await createAccount(env);
    await env.database.db
      .update(accounts)
      .set({ disabledAt: new Date() })
      .where(eq(accounts.id, disabled.id));
    const before = stub.requests.length;
    await processEmailJob(deps, job("verification-email", verified.id));
    await processEmailJob(deps, job("password-reset-email", disabled.id));
    await processEmailJob(deps, job("password-reset-email", "acc_gone"));
    expect(stub.requests.length).toBe(before);
    expect(await tokensOf(verified.id)).toEqual([]);
  });

  it("throws a retryable error on a Resend 500 or 429, and an UnrecoverableError on a 422", async () => {
    const account = await createAccount(env, { verified: false });
    for (const status of [500, 429]) {
      stub.failNext(1, status);
      const err = await processEmailJob(deps, job("verification-email", account.id)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UnrecoverableError);
    }
    stub.failNext(1, 422);
    await expect(processEmailJob(deps, job("verification-email", account.id))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(processEmailJob(deps, job("no-such-email", account.id))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });

  it("takes Resend's 409 on a retry as proof that an earlier attempt was sent, but not on a first attempt", async () => {
    const account = await createAccount(env, { verified: false });
    const retry = { ...job("verification-email", account.id), attemptsMade: 1 } as unknown as Job;
    stub.failNext(1, 409);
    await expect(processEmailJob(deps, retry)).resolves.toEqual({ sent: "earlier-attempt" });
    stub.failNext(1, 409);
    await expect(processEmailJob(deps, job("verification-email", account.id))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });

  it("writes the email, link included, to the log when RESEND_API_KEY is not set", async () => {
    const account = await createAccount(env, { verified: false });
    const before = stub.requests.length;
    await processEmailJob(loggedDeps, job("verification-email", account.id));
    expect(stub.requests.length).toBe(before);
    const line = env.logs.lines.find((l) => l.includes(account.email) && l.includes("/verify-email?token="));
    expect(line).toBeDefined();
    expect(line).toContain("http://console.test/verify-email?token=");
  });

  it("queues one job per request, with at least 5 attempts and exponential backoff, carrying only the id", async () => {
    const account = await createAccount(env, { verified: false });
    const id1 = await enqueueEmail(deps.queues.email, "verification-email", { accountId: account.id });
    const id2 = await enqueueEmail(deps.queues.email, "verification-email", { accountId: account.id });
    expect(id1).not.toBe(id2);
    const queued = await deps.queues.email.getJob(id1);
    expect(queued?.data).toEqual({ accountId: account.id });
    expect(queued?.opts.attempts).toBeGreaterThanOrEqual(5);
    expect(queued?.opts.backoff).toMatchObject({ type: "exponential" });
  });
});
