import { type Job, type Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createQueues } from "../src/queues/queues.js";
import { connectRedis } from "../src/redis/client.js";
import { upsertMaintenanceSchedules } from "../src/worker/schedules.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

// A worker start upserts the schedules from its settings (src/worker/main.ts). These tests start
// "workers" twice with different settings and drive BullMQ's clock: its scripts take the time from
// Date.now() in this process, so faking Date (and nothing else) makes every scheduled time exact.
// Jobs are fetched by hand (a worker without a processor), as a worker process would take them.

let env: TestEnv;
const connections: Redis[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await createTestEnv();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  vi.useRealTimers();
  await Promise.allSettled(closers.map((close) => close()));
  await Promise.allSettled(connections.map((c) => c.quit()));
  await env?.close();
});

type Settings = { LAST_USED_FLUSH_MS?: string; ROTATION_REMINDER_CRON?: string; PURGE_CRON?: string };

/** What a worker start does with its settings: upsert the three schedules on its own connection. */
async function startWorkerWith(prefix: string, settings: Settings): Promise<Queue> {
  const config = env.configWith({ ...settings, REDIS_PREFIX: prefix });
  const connection = connectRedis(config, "bullmq");
  connections.push(connection);
  const queues = createQueues(connection, prefix);
  closers.push(
    () => queues.email.close(),
    () => queues.maintenance.close(),
  );
  await upsertMaintenanceSchedules(queues.maintenance, config, env.logger);
  return queues.maintenance;
}

function jobFetcher(prefix: string): Worker {
  const connection = connectRedis(env.config, "bullmq");
  connections.push(connection);
  const worker = new Worker("maintenance", null, { connection, prefix: `${prefix}:bull` });
  closers.push(() => worker.close());
  return worker;
}

/** Takes every job due now (as a worker would, without waiting): the names taken, in order. */
async function takeDueJobs(fetcher: Worker): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; ; i++) {
    const job: Job | undefined = await fetcher.getNextJob(`token-${i}`, { block: false });
    if (!job) return names;
    names.push(job.name);
  }
}

/** The scheduled time of each schedule's next job, from its id `repeat:<schedule>:<time>`. */
async function nextRuns(queue: Queue): Promise<Record<string, number[]>> {
  const jobs = await queue.getJobs(["delayed", "wait", "prioritized"]);
  const runs: Record<string, number[]> = {};
  for (const job of jobs) {
    const [, name, at] = String(job.id).split(":");
    const key = name ?? "";
    runs[key] = [...(runs[key] ?? []), Number(at)];
  }
  for (const times of Object.values(runs)) times.sort((a, b) => a - b);
  return runs;
}

const at = (iso: string) => new Date(iso).getTime();
let prefixCount = 0;
const freshPrefix = () => `${env.prefix}-s${++prefixCount}`;

describe("schedules follow their settings", () => {
  it("a worker started with a lower LAST_USED_FLUSH_MS flushes within one new interval, also after a late run", async () => {
    const prefix = freshPrefix();
    vi.useFakeTimers({ toFake: ["Date"] });
    // First start with the default-era 10 minutes, 260 s into a 10-minute slot (the case).
    vi.setSystemTime(at("2026-06-01T10:04:20.000Z"));
    await startWorkerWith(prefix, { LAST_USED_FLUSH_MS: "600000" });

    vi.setSystemTime(at("2026-06-01T10:05:00.000Z"));
    const queues = await Promise.all([
      startWorkerWith(prefix, { LAST_USED_FLUSH_MS: "1000" }),
      startWorkerWith(prefix, { LAST_USED_FLUSH_MS: "1000" }),
    ]);
    const queue = queues[0] as Queue;
    const restartedAt = Date.now();
    let runs = await nextRuns(queue);
    // Several workers starting together: still one next run per schedule.
    expect(runs["last-used-flush"]).toHaveLength(1);
    const first = runs["last-used-flush"]?.[0] ?? Number.NaN;
    expect(first).toBeGreaterThanOrEqual(restartedAt);
    expect(first).toBeLessThanOrEqual(restartedAt + 1_000);

    // The run is picked up late (the worker was busy for 3.5 intervals): the one after it must still
    // come within one new interval of the pick-up, not at the old interval's offset.
    const fetcher = jobFetcher(prefix);
    vi.setSystemTime(first + 3_500);
    expect(await takeDueJobs(fetcher)).toEqual(["last-used-flush"]);
    const pickedAt = Date.now();
    runs = await nextRuns(queue);
    expect(runs["last-used-flush"]).toHaveLength(1);
    const second = runs["last-used-flush"]?.[0] ?? Number.NaN;
    expect(second).toBeGreaterThan(pickedAt);
    expect(second).toBeLessThanOrEqual(pickedAt + 1_000);

    const [scheduler] = (await queue.getJobSchedulers()).filter((s) => s.key === "last-used-flush");
    expect(scheduler).toMatchObject({ every: 1_000 });
  });

  it("raising LAST_USED_FLUSH_MS moves the next flush onto the new interval at once", async () => {
    const prefix = freshPrefix();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(at("2026-06-01T10:00:00.300Z"));
    await startWorkerWith(prefix, { LAST_USED_FLUSH_MS: "1000" });
    vi.setSystemTime(at("2026-06-01T10:00:00.700Z"));
    const queue = await startWorkerWith(prefix, { LAST_USED_FLUSH_MS: "60000" });
    const runs = await nextRuns(queue);
    expect(runs["last-used-flush"]).toHaveLength(1);
    const next = runs["last-used-flush"]?.[0] ?? Number.NaN;
    expect(next).toBeGreaterThanOrEqual(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("a worker started with a new ROTATION_REMINDER_CRON or PURGE_CRON runs on it at once", async () => {
    const prefix = freshPrefix();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(at("2026-06-01T08:00:00.500Z"));
    await startWorkerWith(prefix, {});
    let runs = await nextRuns((await startWorkerWith(prefix, {})) as Queue);
    expect(runs["rotation-reminders"]).toEqual([at("2026-06-01T09:00:00Z")]);
    expect(runs.purge).toEqual([at("2026-06-01T09:00:00Z")]);

    vi.setSystemTime(at("2026-06-01T08:00:03.500Z"));
    const settings = { ROTATION_REMINDER_CRON: "*/10 * * * * *", PURGE_CRON: "*/30 * * * * *" };
    const queues = await Promise.all([startWorkerWith(prefix, settings), startWorkerWith(prefix, settings)]);
    const queue = queues[0] as Queue;
    runs = await nextRuns(queue);
    expect(runs["rotation-reminders"]).toEqual([at("2026-06-01T08:00:10Z")]);
    expect(runs.purge).toEqual([at("2026-06-01T08:00:30Z")]);

    // Each run, taken when due, schedules the next one on the new pattern, once. (The flush, on its
    // default 10 s, is due too; it is taken and left aside.)
    const fetcher = jobFetcher(prefix);
    const cronJobs = (names: string[]) => names.filter((n) => n !== "last-used-flush");
    vi.setSystemTime(at("2026-06-01T08:00:10.000Z"));
    expect(cronJobs(await takeDueJobs(fetcher))).toEqual(["rotation-reminders"]);
    runs = await nextRuns(queue);
    expect(runs["rotation-reminders"]).toEqual([at("2026-06-01T08:00:20Z")]);
    vi.setSystemTime(at("2026-06-01T08:00:30.000Z"));
    expect(cronJobs(await takeDueJobs(fetcher)).sort()).toEqual(["purge", "rotation-reminders"]);
    runs = await nextRuns(queue);
    expect(runs["rotation-reminders"]).toEqual([at("2026-06-01T08:00:40Z")]);
    expect(runs.purge).toEqual([at("2026-06-01T08:01:00Z")]);
  });
});
