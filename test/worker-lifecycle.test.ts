import { afterAll, describe, expect, it } from "vitest";
import { emailJobOptions, ROTATION_REMINDER_EMAIL } from "../src/email/email-queue.js";
import { recordKeyUse } from "../src/gateway/hot-path-script.js";
import { createQueues } from "../src/queues/queues.js";
import { connectRedis } from "../src/redis/client.js";
import { killServiceProcesses, spawnWorker } from "./support/child-processes.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { type HeldResend, startHeldResend } from "./support/resend-stub.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

// Real worker processes, signalled and killed. A Resend stand-in that holds its answer makes "a job
// in hand" a fact the test can wait for rather than a matter of timing.

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await killServiceProcesses();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function setUp(): Promise<{ env: TestEnv; held: HeldResend }> {
  const env = await createTestEnv();
  const held = await startHeldResend();
  cleanups.push(
    () => env.close(),
    () => held.close(),
  );
  return { env, held };
}

/** One account with a key stamped for a reminder, and that reminder's email job queued. */
async function queueReminderEmail(env: TestEnv) {
  const account = await createAccount(env);
  await insertApiKey(env, account.id, { name: "in-flight key" });
  const remindedAt = new Date().toISOString();
  await env.database
    .sql`update api_keys set last_reminder_at = ${remindedAt} where account_id = ${account.id}`;
  const connection = connectRedis(env.config, "bullmq");
  const queues = createQueues(connection, env.config.redisPrefix);
  cleanups.push(async () => {
    await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
    await connection.quit();
  });
  const job = await queues.email.add(
    ROTATION_REMINDER_EMAIL,
    { accountId: account.id, remindedAt },
    { ...emailJobOptions, jobId: `lifecycle-${account.id}` },
  );
  return { account, job };
}

const workerEnv = (env: TestEnv, held: HeldResend, more: Record<string, string> = {}) => ({
  ...env.env,
  RESEND_API_KEY: "re_test_key",
  RESEND_BASE_URL: held.url,
  ...more,
});

describe("worker lifecycle", () => {
  it("SIGTERM mid-job: the job in hand completes, then the process exits 0", async () => {
    const { env, held } = await setUp();
    held.hold();
    const { job } = await queueReminderEmail(env);
    const worker = spawnWorker(workerEnv(env, held));
    await waitFor("the job to reach Resend", async () => held.received.length === 1);

    worker.signal("SIGTERM");
    await worker.waitForLog("stopping", (l) => String(l.msg).startsWith("stopping"));
    expect(worker.hasExited()).toBe(false);
    expect(await job.getState()).toBe("active");

    held.release();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await job.getState()).toBe("completed");
    expect(worker.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["rotation reminder sent", "stopped"]),
    );
    expect(held.received).toHaveLength(1);
  }, 60_000);

  it("a job cut off by SIGKILL is retried by another worker once its lock expires", async () => {
    const { env, held } = await setUp();
    held.hold();
    const { job } = await queueReminderEmail(env);
    const quickLock = workerEnv(env, held, { WORKER_LOCK_DURATION_MS: "1000" });
    const first = spawnWorker(quickLock);
    await waitFor("the job to reach Resend", async () => held.received.length === 1);
    first.signal("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    held.release();

    const second = spawnWorker(quickLock);
    await waitFor("the retried job to complete", async () => (await job.getState()) === "completed");
    // The retry sent again with the same idempotency key, which Resend turns into one delivery.
    expect(held.received).toHaveLength(2);
    expect(second.logs.some((l) => l.msg === "rotation reminder sent")).toBe(true);
    second.signal("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it("PostgreSQL, then Redis, going away: the worker waits, reconnects and flushes everything", async () => {
    const { env, held } = await setUp();
    const pg = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    const rd = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    cleanups.push(
      () => pg.close(),
      () => rd.close(),
    );
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const redis = connectRedis(env.config);
    cleanups.push(() => redis.quit());
    const dbUrl = new URL(env.env.DATABASE_URL as string);
    dbUrl.port = String(pg.port);
    const worker = spawnWorker(
      workerEnv(env, held, {
        DATABASE_URL: dbUrl.toString(),
        REDIS_URL: `redis://127.0.0.1:${rd.port}`,
        LAST_USED_FLUSH_MS: "200",
      }),
    );
    await worker.waitForLog("start", (l) => l.msg === "worker started, schedules in place");
    let recorded = 0;
    const use = async (n: number) => {
      for (let i = 0; i < n; i++) await recordKeyUse(redis, env.prefix, key.id, new Date());
      recorded += n;
    };
    const flushed = async () => {
      const [row] = await env.database.sql<{ total: string | null }[]>`
        select sum(requests) as total from key_usage_daily where key_id = ${key.id}`;
      return Number(row?.total ?? 0) === recorded;
    };
    await use(10);
    await waitFor("the first flush", flushed);

    pg.cut();
    await use(10);
    await worker.waitForLog("a flush failing on PostgreSQL", (l) => l.msg === "job failed");
    pg.restore();
    await waitFor("the flush after PostgreSQL came back", flushed);

    rd.cut();
    await worker.waitForLog("a Redis error", (l) => l.msg === "worker error");
    await use(10);
    rd.restore();
    await waitFor("the flush after Redis came back", flushed, 20_000);

    expect(worker.hasExited()).toBe(false);
    expect(worker.logs.filter((l) => l.msg === "unhandled rejection")).toEqual([]);
    worker.signal("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it("tells of a PostgreSQL outage in one line, not a line at every flush it fails", async () => {
    const { env, held } = await setUp();
    const pg = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    cleanups.push(() => pg.close());
    const account = await createAccount(env);
    const key = await insertApiKey(env, account.id);
    const redis = connectRedis(env.config);
    const connection = connectRedis(env.config, "bullmq");
    const queues = createQueues(connection, env.config.redisPrefix);
    cleanups.push(
      () => redis.quit(),
      async () => {
        await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
        await connection.quit();
      },
    );
    const dbUrl = new URL(env.env.DATABASE_URL as string);
    dbUrl.port = String(pg.port);
    const worker = spawnWorker(
      workerEnv(env, held, { DATABASE_URL: dbUrl.toString(), LAST_USED_FLUSH_MS: "200" }),
    );
    await worker.waitForLog("start", (l) => l.msg === "worker started, schedules in place");
    const flushed = async () => {
      const [row] = await env.database.sql<{ total: string | null }[]>`
        select sum(requests) as total from key_usage_daily where key_id = ${key.id}`;
      return Number(row?.total ?? 0) === 2;
    };
    await recordKeyUse(redis, env.prefix, key.id, new Date());
    await worker.waitForLog("a first flush", (l) => l.msg === "usage flushed");

    pg.cut();
    await recordKeyUse(redis, env.prefix, key.id, new Date());
    // Five runs of the flush, each failed once and waiting for its retry: five failures of one outage.
    await waitFor("five failed flush runs", async () => {
      const delayed = await queues.maintenance.getDelayed();
      return delayed.filter((job) => job.attemptsMade > 0).length >= 5;
    });
    const failures = worker.logs.filter((l) => l.msg === "job failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ job: "last-used-flush" });
    expect(worker.logs.filter((l) => /handed over by an earlier run/.test(String(l.msg)))).toEqual([]);

    pg.restore();
    await waitFor("the flush after PostgreSQL came back", flushed);
    worker.signal("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
