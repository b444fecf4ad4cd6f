import type { Redis } from "ioredis";
import OpenAI, { RateLimitError } from "openai";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey, utcDay } from "../src/usage/buffer.js";
import { processingUsageKey, usageBatchKey } from "../src/usage/flush.js";
import {
  freePort,
  killServiceProcesses,
  type ServiceProcess,
  spawnWeb,
  spawnWorker,
  webReady,
  workerReady,
} from "./support/child-processes.js";
import { databaseUrl } from "./support/db-names.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "./support/upstream-stub.js";
import { waitFor } from "./support/wait-for.js";

// Token usage and limits across real processes: two web processes and worker processes (the entry
// points themselves, as child processes) on one PostgreSQL database and one Redis prefix, with the
// upstream stood in for. Totals are checked to the token against what the stand-in reported.

let env: TestEnv;
let stub: UpstreamStub;
let redis: Redis;
let processEnv: Record<string, string>;
const webs: string[] = [];

beforeAll(async () => {
  stub = await startUpstreamStub();
  env = await createTestEnv({ UPSTREAM_URL: stub.url, LAST_USED_FLUSH_MS: "200" });
  // PostgreSQL (14 or later) notices a client gone while its query waits (here: within 50 ms) and
  // rolls its transaction back, as it does for a crashed worker whose statement was running.
  await env.database.sql.unsafe(`alter database ${env.dbName} set client_connection_check_interval = 50`);
  redis = connectRedis(env.config);
  processEnv = { ...env.env, LOG_LEVEL: "info" };
  const ports = [await freePort(), await freePort()];
  const procs = ports.map((port) => spawnWeb({ ...processEnv, PORT: String(port) }));
  webs.push(...ports.map((port) => `http://127.0.0.1:${port}`));
  await Promise.all(webs.map((url, i) => webReady(procs[i] as ServiceProcess, url)));
}, 70_000);

afterAll(async () => {
  await killServiceProcesses();
  await redis?.quit();
  await Promise.allSettled([env?.close(), stub?.close()]);
});

const sdk = (n: number, apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${webs[n % 2]}/v1`, maxRetries: 0 });

async function startWorker(more: Record<string, string> = {}): Promise<ServiceProcess> {
  const worker = spawnWorker({ ...processEnv, ...more });
  await workerReady(worker);
  return worker;
}

/** Waits (bounded) until the web processes have buffered this many of the key's requests today. */
async function buffered(keyId: string, requests: number): Promise<void> {
  await waitFor(`${requests} requests of ${keyId} in the usage buffer`, async () => {
    const n = Number(await redis.hget(pendingUsageKey(env.prefix), `c:${keyId}:${utcDay(new Date())}`));
    return n >= requests;
  });
}

interface DayUsage {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  by_model: Array<{ model: string | null; answered: number; refused: number; upstream_errors: number }>;
}

/** Today's usage of the key as GET /admin/keys/:id/usage gives it, read on web process `n`. */
async function usageOf(n: number, token: string, keyId: string): Promise<DayUsage> {
  const res = await fetch(`${webs[n % 2]}/admin/keys/${keyId}/usage?days=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: DayUsage[] }).data[0] as DayUsage;
}

/** The stand-in's final figures since `from` (an index into its ledger), summed. */
function reportedSince(from: number) {
  const final = stub.usage.reported.slice(from).filter((r) => r.final);
  return {
    answers: final.length,
    prompt: final.reduce((n, r) => n + r.promptTokens, 0),
    completion: final.reduce((n, r) => n + r.completionTokens, 0),
  };
}

/** A chat, a stream read to its end, or embeddings, through web process `i % 2`. */
async function useKey(secret: string, i: number): Promise<void> {
  const client = sdk(i, secret);
  const messages = [{ role: "user" as const, content: `question ${i} ${"word ".repeat(i)}` }];
  if (i % 3 === 0) await client.chat.completions.create({ model: STUB_MODEL, messages, max_tokens: 2 + i });
  else if (i % 3 === 1) {
    const stream = await client.chat.completions.create({ model: STUB_MODEL, messages, stream: true });
    for await (const _chunk of stream) {
      // read to the end
    }
  } else await client.embeddings.create({ model: STUB_MODEL, input: ["a", "b", "c"].slice(0, 1 + (i % 3)) });
}

describe("token usage across processes", () => {
  it("two web processes hold a small token limit together, and the totals agree with the upstream's", async () => {
    const user = await createAccountWithSession(env);
    const limit = 100;
    const key = await insertApiKey(env, user.id, { tokenLimitPerMinute: limit });
    const request = {
      model: STUB_MODEL,
      messages: [{ role: "user" as const, content: "Hello!" }],
      max_tokens: 3,
    };
    const estimate = Math.ceil(Buffer.byteLength(JSON.stringify(request)) / 4) + 3;
    // The limit's windows are UTC minutes: the burst starts where it cannot straddle two of them.
    await waitFor("a minute with 20 s left", () => 60_000 - (Date.now() % 60_000) > 20_000, 25_000);
    const before = stub.usage.reported.length;
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        sdk(i, key.secret).chat.completions.create(request).withResponse(),
      ),
    );
    const admitted = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).code).toBe("rate_limit_exceeded");
      expect((err as RateLimitError).headers?.get("x-ratelimit-limit-tokens")).toBe(String(limit));
    }
    const reported = reportedSince(before);
    expect(reported.answers).toBe(admitted);
    // Admitted tokens stay within one reservation of the limit, whichever process admitted them.
    expect(reported.prompt + reported.completion).toBeLessThanOrEqual(limit + estimate);

    await buffered(key.id, 24);
    const worker = await startWorker();
    const day = await waitFor("the flushed usage", async () => {
      const usage = await usageOf(1, user.token, key.id);
      return usage.requests === 24 ? usage : undefined;
    });
    expect(day).toMatchObject({ prompt_tokens: reported.prompt, completion_tokens: reported.completion });
    expect(day.by_model).toMatchObject([
      { model: STUB_MODEL, answered: admitted, refused: 24 - admitted, upstream_errors: 0 },
    ]);
    worker.signal("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

/**
 * Holds the key's row FOR UPDATE in a transaction of its own until `release()`: a flush statement
 * then waits inside its transaction after it has claimed its batch id (its FOR KEY SHARE on the key
 * waits for this lock).
 */
async function holdKeyRow(keyId: string): Promise<{ release(): Promise<void> }> {
  const locker = postgres(databaseUrl(env.dbName), { max: 1, onnotice: () => {} });
  let unlock!: () => void;
  const unlocked = new Promise<void>((resolve) => {
    unlock = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holding = locker.begin(async (tx) => {
    await tx`select id from api_keys where id = ${keyId} for update`;
    locked();
    await unlocked;
  });
  await Promise.race([isLocked, holding]);
  let released: Promise<void> | undefined;
  return {
    release() {
      unlock();
      released ??= holding.then(() => locker.end());
      return released;
    },
  };
}

/**
 * The backends whose flush statement waits on a lock, once one of them has written (holds a
 * transaction id: it has inserted its batch's claim), with the batch id in flight.
 */
async function flushWaitingOnLock(): Promise<{ pids: number[]; batchId: string }> {
  const rows = await waitFor("the flush statement to wait on the key's lock", async () => {
    const found = await env.database.sql<{ pid: number; xid: string | null }[]>`
      select pid, backend_xid::text as xid from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
        and wait_event_type = 'Lock' and query like '%insert into usage_flush_batches%'`;
    return found.some((r) => r.xid !== null) ? found : undefined;
  });
  const batchId = await redis.get(processingUsageKey(env.prefix));
  expect(batchId).toMatch(/\S/);
  return { pids: rows.map((r) => r.pid), batchId: batchId as string };
}

/** How many of the batch's statements are committed (their claim rows). */
async function committedClaims(batchId: string): Promise<number> {
  const [row] = await env.database.sql<{ n: number }[]>`
    select count(*)::int as n from usage_flush_batches where id like ${`${batchId}:%`}`;
  return row?.n ?? 0;
}

/** Starts a worker and waits until it has flushed everything buffered, the batch in flight first. */
async function flushedByNextWorker(): Promise<ServiceProcess> {
  const worker = await startWorker();
  await waitFor(
    "the next worker to flush the batch in flight, then the fresh buffer",
    async () => (await redis.exists(processingUsageKey(env.prefix), pendingUsageKey(env.prefix))) === 0,
    30_000,
  );
  return worker;
}

/** Today's usage of the key agrees to the token with what the stand-in reported since `before`. */
async function expectTotals(user: { token: string }, keyId: string, before: number, requests: number) {
  const day = await usageOf(0, user.token, keyId);
  const reported = reportedSince(before);
  expect(reported.answers).toBe(requests);
  expect(day).toMatchObject({
    requests,
    prompt_tokens: reported.prompt,
    completion_tokens: reported.completion,
  });
  expect(day.by_model).toMatchObject([
    { model: STUB_MODEL, answered: requests, refused: 0, upstream_errors: 0 },
  ]);
}

describe("a worker killed mid-flush", () => {
  it("while its statement runs: PostgreSQL rolls it back and the next worker applies the batch once", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const before = stub.usage.reported.length;
    for (let i = 0; i < 6; i++) await useKey(key.secret, i);
    await buffered(key.id, 6);

    const row = await holdKeyRow(key.id);
    try {
      const first = await startWorker();
      const { pids, batchId } = await flushWaitingOnLock();
      // Mid-flush: the batch is handed over and its statement has written, but nothing is committed.
      expect(await committedClaims(batchId)).toBe(0);

      first.signal("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
      await waitFor("PostgreSQL to end the dead worker's statements", async () => {
        const [left] = await env.database.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where pid in ${env.database.sql(pids)}`;
        return left?.n === 0;
      });
      // Rolled back: no claim, no counts; the batch is still in flight in Redis for the next worker.
      expect(await committedClaims(batchId)).toBe(0);
      const [counted] = await env.database.sql<{ n: number }[]>`
        select count(*)::int as n from key_model_usage_daily where key_id = ${key.id}`;
      expect(counted?.n).toBe(0);
      expect(await redis.get(processingUsageKey(env.prefix))).toBe(batchId);
      expect(await redis.exists(usageBatchKey(env.prefix, batchId))).toBe(1);

      // Uses after the hand-over go to a fresh buffer, flushed after the batch in flight.
      for (let i = 6; i < 9; i++) await useKey(key.secret, i);
      await buffered(key.id, 3);
    } finally {
      await row.release();
    }

    const second = await flushedByNextWorker();
    await expectTotals(user, key.id, before, 9);
    second.signal("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("after its statement committed, before it released the batch: the next worker skips it", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const before = stub.usage.reported.length;
    for (let i = 0; i < 6; i++) await useKey(key.secret, i);
    await buffered(key.id, 6);

    // This worker reaches Redis through a forwarder the test can stall: its batch's release (the
    // Redis call after the statement) then never arrives.
    const target = new URL(env.env.REDIS_URL as string);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const row = await holdKeyRow(key.id);
    let batchId: string;
    try {
      const first = await startWorker({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      ({ batchId } = await flushWaitingOnLock());
      proxy.stall();
      await row.release();
      await waitFor("the batch's statement to commit", async () => (await committedClaims(batchId)) === 1);
      first.signal("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    } finally {
      await row.release();
      await proxy.close();
    }
    // Applied once, but still in flight in Redis: the next worker must not apply it again.
    expect(await redis.get(processingUsageKey(env.prefix))).toBe(batchId);
    const [counted] = await env.database.sql<{ answered: number }[]>`
      select answered::int from key_model_usage_daily where key_id = ${key.id}`;
    expect(counted?.answered).toBe(6);

    for (let i = 6; i < 9; i++) await useKey(key.secret, i);
    await buffered(key.id, 3);
    const second = await flushedByNextWorker();
    await expectTotals(user, key.id, before, 9);
    expect(await committedClaims(batchId)).toBe(1);
    second.signal("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
