import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processEmailJob } from "../src/email/email-jobs.js";
import { claimDueKeys, reminderJobId, runRotationReminders } from "../src/reminders/rotation-reminders.js";
import { manualClock } from "../src/time/clock.js";
import { processMaintenanceJob } from "../src/worker/maintenance.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv, type TestWorker } from "./support/harness.js";
import { type ResendStub, startResendStub } from "./support/resend-stub.js";
import { waitFor } from "./support/wait-for.js";

// Reminder runs are driven explicitly with a manual clock; the emails go through a real worker (BullMQ
// on real Redis) to a local Resend stand-in that records what it receives.

let env: TestEnv;
let stub: ResendStub;
let worker: TestWorker;
let second: TestWorker;
const DAY = 24 * 3_600_000;
const clock = manualClock(new Date("2026-06-01T09:00:00Z"));
const daysAgo = (n: number) => new Date(clock.now().getTime() - n * DAY);

beforeAll(async () => {
  env = await createTestEnv();
  stub = await startResendStub();
  const config = env.configWith({ RESEND_API_KEY: "re_test_key", RESEND_BASE_URL: stub.url });
  const processors = { email: processEmailJob, maintenance: processMaintenanceJob };
  worker = await env.makeWorker(processors, { config, clock });
  second = await env.makeWorker(processors, { config, clock });
});
afterAll(async () => {
  await env?.close();
  await stub?.close();
});

const emailsTo = (to: string) => stub.delivered.filter((e) => e.to === to);
const waitForEmails = (to: string, n: number) =>
  waitFor(`${n} email(s) to ${to}`, async () => emailsTo(to).length >= n);

/** Waits until every job on the email queue has finished, so "no other email" is a real check. */
async function emailQueueSettled(): Promise<void> {
  await waitFor("the email queue to settle", async () => {
    const counts = await worker.deps.queues.email.getJobCounts("wait", "active", "delayed", "prioritized");
    return Object.values(counts).every((n) => n === 0);
  });
}

describe("rotation reminders", () => {
  it("emails one account once, listing only its active keys older than its period, by name and last4", async () => {
    const account = await createAccount(env, { reminderDays: 30 });
    const old1 = await insertApiKey(env, account.id, { name: "prod <server>", createdAt: daysAgo(45) });
    const old2 = await insertApiKey(env, account.id, { name: "ci runner", createdAt: daysAgo(31) });
    const young = await insertApiKey(env, account.id, { name: "fresh", createdAt: daysAgo(10) });
    await insertApiKey(env, account.id, {
      name: "revoked one",
      createdAt: daysAgo(60),
      revokedAt: daysAgo(1),
    });
    await insertApiKey(env, account.id, {
      name: "expired one",
      createdAt: daysAgo(60),
      expiresAt: daysAgo(1),
    });
    const off = await createAccount(env, { reminderDays: 0 });
    await insertApiKey(env, off.id, { name: "never reminded", createdAt: daysAgo(400) });
    // An unverified address is not written to; its keys stay unclaimed until it is verified.
    const unverified = await createAccount(env, { reminderDays: 30, verified: false });
    await insertApiKey(env, unverified.id, { createdAt: daysAgo(400) });

    const stats = await runRotationReminders(worker.deps, clock.now());
    expect(stats).toMatchObject({ claimedKeys: 2, accounts: 1 });
    await waitForEmails(account.email, 1);
    await emailQueueSettled();

    const [email] = emailsTo(account.email);
    expect(email?.subject).toBe("Time to rotate 2 API keys");
    expect(email?.text).toContain(`prod <server> (ending in ${old1.last4})`);
    expect(email?.text).toContain(`ci runner (ending in ${old2.last4})`);
    expect(email?.text).toContain("http://console.test/keys");
    expect(email?.html).toContain("prod &lt;server&gt;");
    expect(email?.html).toContain('href="http://console.test/keys"');
    for (const absent of ["fresh", young.last4, "revoked one", "expired one", old1.secret]) {
      expect(email?.text).not.toContain(absent);
    }
    expect(email?.idempotencyKey).toBe(`rotation-reminder/${account.id}/${clock.now().getTime()}`);
    expect(emailsTo(off.email)).toHaveLength(0);
    expect(emailsTo(unverified.email)).toHaveLength(0);
    const unclaimed = await env.database.sql`
      select id from api_keys where account_id in (${off.id}, ${unverified.id}) and last_reminder_at is null`;
    expect(unclaimed.count).toBe(2);
  });

  it("a second run in the same period, by any worker, reminds nobody again", async () => {
    const account = await createAccount(env, { reminderDays: 7 });
    await insertApiKey(env, account.id, { createdAt: daysAgo(8) });
    await runRotationReminders(worker.deps, clock.now());
    await waitForEmails(account.email, 1);

    clock.advance(3_600_000);
    const again = await runRotationReminders(second.deps, clock.now());
    expect(again).toMatchObject({ claimedKeys: 0, accounts: 0 });
    clock.advance(6 * DAY);
    expect(await runRotationReminders(worker.deps, clock.now())).toMatchObject({ claimedKeys: 0 });
    await emailQueueSettled();
    expect(emailsTo(account.email)).toHaveLength(1);

    // Once the period has passed since the last reminder, the key is due again: a new email.
    clock.advance(DAY);
    expect(await runRotationReminders(worker.deps, clock.now())).toMatchObject({
      claimedKeys: 1,
      accounts: 1,
    });
    await waitForEmails(account.email, 2);
    await emailQueueSettled();
    expect(emailsTo(account.email)).toHaveLength(2);
  });

  it("two workers running at the same moment claim each key once: every key is named in exactly one email", async () => {
    const account = await createAccount(env, { reminderDays: 14 });
    for (let i = 0; i < 30; i++)
      await insertApiKey(env, account.id, { name: `k${i}`, createdAt: daysAgo(20) });
    const at = clock.now();
    const [a, b] = await Promise.all([
      runRotationReminders(worker.deps, at),
      runRotationReminders(second.deps, new Date(at.getTime() + 1)),
    ]);
    expect((a?.claimedKeys ?? 0) + (b?.claimedKeys ?? 0)).toBe(30);
    await emailQueueSettled();
    // Each claim stamp lists only its own keys; together every key is named exactly once.
    const sent = emailsTo(account.email);
    const named = sent.flatMap((e) => [...e.text.matchAll(/^- (k\d+) /gm)].map((m) => m[1]));
    expect(named.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`).sort());
  });

  it("a claim whose email was never queued (the run died) is sent by the retry with the same stamp", async () => {
    const account = await createAccount(env, { reminderDays: 30 });
    await insertApiKey(env, account.id, { name: "orphaned claim", createdAt: daysAgo(40) });
    const at = clock.now();
    expect(await claimDueKeys(env.database, at)).toMatchObject({ keys: 1 });

    const job = await worker.deps.queues.maintenance.add("rotation-reminders", { claimAt: at.toISOString() });
    await waitFor("the retried reminder run", async () => (await job.getState()) === "completed");
    await waitForEmails(account.email, 1);
    await emailQueueSettled();
    expect(emailsTo(account.email)).toHaveLength(1);
    expect(emailsTo(account.email)[0]?.text).toContain("orphaned claim");

    // A first attempt (no stamp in its data yet) stores the stamp it claims with before claiming.
    const fresh = await worker.deps.queues.maintenance.add("rotation-reminders", {});
    await waitFor("a fresh reminder run", async () => (await fresh.getState()) === "completed");
    const stored = await worker.deps.queues.maintenance.getJob(fresh.id as string);
    expect(stored?.data).toEqual({ claimAt: clock.now().toISOString() });
  });

  it("a failed send after the claim is retried and delivered once", async () => {
    const account = await createAccount(env, { reminderDays: 30 });
    await insertApiKey(env, account.id, { name: "retry me", createdAt: daysAgo(40) });
    stub.failNext(1, 503);
    const before = stub.requests.length;
    await runRotationReminders(worker.deps, clock.now());
    await waitForEmails(account.email, 1);
    await emailQueueSettled();
    const attempts = stub.requests.slice(before).filter((r) => r.body.to === account.email);
    expect(attempts.map((r) => r.status)).toEqual([503, 200]);
    expect(new Set(attempts.map((r) => r.idempotencyKey)).size).toBe(1);
    const job = await worker.deps.queues.email.getJob(reminderJobId(account.id, clock.now()));
    expect(job?.attemptsMade).toBe(2);
  });
});
