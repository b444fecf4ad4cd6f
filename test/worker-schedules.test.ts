import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordKeyUse } from "../src/gateway/hot-path-script.js";
import { createLogger } from "../src/logging/logger.js";
import { createQueues } from "../src/queues/queues.js";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey } from "../src/usage/buffer.js";
import { processingUsageKey } from "../src/usage/flush.js";
import { createScheduleKeeper, upsertMaintenanceSchedules } from "../src/worker/schedules.js";
import { killServiceProcesses, type ServiceProcess, spawnWorker } from "./support/child-processes.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { type ResendStub, startResendStub } from "./support/resend-stub.js";
import { waitFor } from "./support/wait-for.js";

let env: TestEnv;
let stub: ResendStub;
const DAY = 24 * 3_600_000;

beforeAll(async () => {
  env = await createTestEnv();
  stub = await startResendStub();
});
afterAll(async () => {
  await killServiceProcesses();
  await env?.close();
  await stub?.close();
});

type Log = Record<string, unknown>;
const completed = (w: ServiceProcess, job?: string) =>
  w.logs.filter((l) => l.msg === "job completed" && (job === undefined || l.job === job));

describe("maintenance schedules", () => {
  it("puts the schedulers back when Redis has lost them, and leaves them alone otherwise", async () => {
    const config = env.configWith({ REDIS_PREFIX: `${env.prefix}-keeper` });
    const connection = connectRedis(config, "bullmq");
    const queues = createQueues(connection, config.redisPrefix);
    const written: string[] = [];
    const logger = createLogger({ level: "info" }, { write: (line: string) => written.push(line) });
    const lines = () => written.map((line) => JSON.parse(line) as Log);
    const keeper = createScheduleKeeper(queues.maintenance, config, logger);
    try {
      await upsertMaintenanceSchedules(queues.maintenance, config, env.logger);
      expect(await keeper.check()).toBe(false);
      // What a Redis restarted without its data leaves of the queue: nothing.
      await queues.maintenance.obliterate({ force: true });
      expect(await queues.maintenance.getJobSchedulersCount()).toBe(0);
      expect(await keeper.check()).toBe(true);
      const schedulers = await queues.maintenance.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(["last-used-flush", "purge", "rotation-reminders"]);
      expect(lines()).toEqual([expect.objectContaining({ found: 0, expected: 3, level: 40 })]);
      expect(await keeper.check()).toBe(false);
      expect(lines()).toHaveLength(1);
    } finally {
      keeper.stop();
      await queues.maintenance.obliterate({ force: true });
      await queues.email.obliterate({ force: true });
      await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
      await connection.quit();
    }
  });

  it("upserting the schedules from several workers leaves one scheduler and one next job per schedule", async () => {
    const config = env.configWith({ REDIS_PREFIX: `${env.prefix}-sched` });
    const connections = [connectRedis(config, "bullmq"), connectRedis(config, "bullmq")];
    const queues = connections.map((c) => createQueues(c, config.redisPrefix));
    try {
      await Promise.all(queues.map((q) => upsertMaintenanceSchedules(q.maintenance, config, env.logger)));
      const maintenance = (queues[0] as (typeof queues)[number]).maintenance;
      await upsertMaintenanceSchedules(maintenance, config, env.logger);
      const schedulers = await maintenance.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(["last-used-flush", "purge", "rotation-reminders"]);
      expect(schedulers.find((s) => s.key === "last-used-flush")).toMatchObject({ every: 10_000 });
      expect(schedulers.find((s) => s.key === "rotation-reminders")).toMatchObject({
        pattern: "0 9 * * *",
        tz: "UTC",
      });
      expect(schedulers.find((s) => s.key === "purge")).toMatchObject({ pattern: "0 * * * *", tz: "UTC" });
      const next = await maintenance.getJobs(["delayed", "wait"]);
      expect(next.map((j) => j.name).sort()).toEqual(["last-used-flush", "purge", "rotation-reminders"]);
      for (const job of next) {
        // Completed runs are removed; failed ones kept for inspection, bounded by count and age.
        expect(job.opts).toMatchObject({ removeOnComplete: true, removeOnFail: { count: 500 }, attempts: 3 });
      }
    } finally {
      // This prefix is outside the env's, so env.close() would not clean it: remove both queues here.
      await queues[0]?.maintenance.obliterate({ force: true });
      await queues[0]?.email.obliterate({ force: true });
      await Promise.allSettled(queues.flatMap((q) => [q.email.close(), q.maintenance.close()]));
      await Promise.allSettled(connections.map((c) => c.quit()));
    }
  });

  it("two worker processes at once: every scheduled run happens once, usage is exact, one reminder", async () => {
    const account = await createAccount(env, { reminderDays: 30 });
    const key = await insertApiKey(env, account.id, {
      name: "old key",
      createdAt: new Date(Date.now() - 40 * DAY),
    });
    const expired = await env.database.sql`
      insert into sessions (id, account_id, token_hash, expires_at)
      values ('ses_expired', ${account.id}, 'hash-expired', now() - interval '1 minute') returning id`;
    expect(expired.count).toBe(1);
    const redis = connectRedis(env.config);
    const base = Date.now();
    const use = (n: number, from: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          recordKeyUse(redis, env.prefix, key.id, new Date(base + from + i)),
        ),
      );
    try {
      await use(100, 0);
      // Every schedule fires often: the flush every 200 ms, reminders and purge every second.
      const childEnv = {
        ...env.env,
        LAST_USED_FLUSH_MS: "200",
        ROTATION_REMINDER_CRON: "* * * * * *",
        PURGE_CRON: "* * * * * *",
        LOG_LEVEL: "debug",
        RESEND_API_KEY: "re_test_key",
        RESEND_BASE_URL: stub.url,
      };
      const workers = [spawnWorker(childEnv), spawnWorker(childEnv)];
      const all = (): Log[] => workers.flatMap((w) => w.logs);
      const count = (job: string) => workers.reduce((n, w) => n + completed(w, job).length, 0);
      for (const w of workers)
        await w.waitForLog("start", (l) => l.msg === "worker started, schedules in place");

      await waitFor("a first flush", async () => count("last-used-flush") >= 1);
      await use(100, 1_000);
      await waitFor(
        "3 reminder and 3 purge runs",
        async () => count("rotation-reminders") >= 3 && count("purge") >= 3,
      );
      await use(100, 2_000);
      const flushesBefore = count("last-used-flush");
      await waitFor("the buffer drained", async () => {
        const [row] = await env.database.sql<{ total: string | null }[]>`
          select sum(requests) as total from key_usage_daily where key_id = ${key.id}`;
        const left = await redis.exists(pendingUsageKey(env.prefix), processingUsageKey(env.prefix));
        return Number(row?.total ?? 0) === 300 && left === 0;
      });
      // More runs after draining must not add anything.
      await waitFor("3 more flushes", async () => count("last-used-flush") >= flushesBefore + 3);
      const [row] = await env.database.sql<{ total: string; last_used_at: string }[]>`
        select (select sum(requests) from key_usage_daily where key_id = ${key.id}) as total, last_used_at
        from api_keys where id = ${key.id}`;
      expect(Number(row?.total)).toBe(300);
      expect(new Date(row?.last_used_at ?? 0).getTime()).toBe(base + 2_099);

      await waitFor("the reminder email", async () => stub.delivered.some((e) => e.to === account.email));
      const reminderRuns = count("rotation-reminders");
      await waitFor("2 more reminder runs", async () => count("rotation-reminders") >= reminderRuns + 2);
      expect(stub.requests.filter((r) => r.body.to === account.email)).toHaveLength(1);
      expect(stub.delivered.find((e) => e.to === account.email)?.text).toContain(
        `old key (ending in ${key.last4})`,
      );

      const sessions = await env.database.sql`select id from sessions where id = 'ses_expired'`;
      expect(sessions.count).toBe(0);

      for (const w of workers) w.signal("SIGTERM");
      const exits = await Promise.all(workers.map((w) => w.exited));
      expect(exits).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      // Each job id is `repeat:<schedule>:<time>`: no id twice means no scheduled time ran twice.
      const ids = all()
        .filter((l) => l.msg === "job completed")
        .map((l) => String(l.jobId));
      expect(new Set(ids).size).toBe(ids.length);
      // And the scheduled times of each schedule are at least one interval apart: one run per slot.
      const minGap: Record<string, number> = {
        "last-used-flush": 200,
        "rotation-reminders": 1_000,
        purge: 1_000,
      };
      for (const [name, gap] of Object.entries(minGap)) {
        const times = ids
          .filter((id) => id.startsWith(`repeat:${name}:`))
          .map((id) => Number(id.split(":")[2]))
          .sort((a, b) => a - b);
        expect(times.length).toBeGreaterThanOrEqual(3);
        const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(gap);
      }
      expect(all().filter((l) => l.msg === "job failed")).toEqual([]);
      console.info(
        `two workers: ${workers.map((w) => completed(w).length).join(" + ")} jobs completed, ${new Set(ids).size} distinct ids`,
      );
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
