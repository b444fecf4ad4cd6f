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
} from "./support/child-processes.js";
import { databaseUrl } from "./support/db-names.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
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
  // PostgreSQL notices a client gone while its query waits (here: within 50 ms) and rolls its
  // transaction back, as it does for a crashed worker whose statement was running.
  await env.database.sql.unsafe(`alter database ${env.dbName} set client_connection_check_interval = 50`);
  redis = connectRedis(env.config);
  processEnv = { ...env.env, LOG_LEVEL: "info" };
  const ports = [await freePort(), await freePort()];
  const procs = ports.map((port) => spawnWeb({ ...processEnv, PORT: String(port) }));
  webs.push(...ports.map((port) => `http://127.0.0.1:${port}`));
  await Promise.all(
    webs.map((url, i) =>
      waitFor(
        `${url}/readyz to answer 200`,
        async () => {
          const proc = procs[i] as ServiceProcess;
          if (proc.hasExited()) throw new Error(`web ${url} exited: ${proc.stderr.join("")}`);
          return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
        },
        // tsx compiles the whole of src/ at start: the first run on a fresh clone of a busy machine
        // takes far longer than the next ones.
        60_000,
      ),
    ),
  );
}, 70_000);

afterAll(async () => {
  await killServiceProcesses();
  await redis?.quit();
  await Promise.allSettled([env?.close(), stub?.close()]);
});

const sdk = (n: number, apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${webs[n % 2]}/v1`, maxRetries: 0 });

async function startWorker(): Promise<ServiceProcess> {
  const worker = spawnWorker(processEnv);
  await worker.waitForLog(
    "the worker's schedules",
    (l) => l.msg === "worker started, schedules in place",
    60_000,
  );
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

  it("a worker SIGKILLed mid-flush loses and doubles nothing: the next worker finishes its batch", async () => {
    const user = await createAccountWithSession(env);
    const key = await insertApiKey(env, user.id);
    const before = stub.usage.reported.length;
    for (let i = 0; i < 6; i++) await useKey(key.secret, i);
    await buffered(key.id, 6);

    // Holding the key's row FOR UPDATE makes the flush statement wait inside its transaction, after
    // it has claimed its batch id (FOR KEY SHARE on the key waits for this lock).
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
      await tx`select id from api_keys where id = ${key.id} for update`;
      locked();
      await unlocked;
    });
    try {
      await isLocked;
      const first = await startWorker();
      const flushing = await waitFor("the flush statement to wait on the key's lock", async () => {
        const rows = await env.database.sql<{ pid: number; xid: string | null }[]>`
          select pid, backend_xid::text as xid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
            and wait_event_type = 'Lock' and query like '%insert into usage_flush_batches%'`;
        return rows.find((r) => r.xid !== null) ? rows : undefined;
      });
      const batchId = (await redis.get(processingUsageKey(env.prefix))) as string;
      expect(batchId).toMatch(/\S/);
      // Mid-flush: the batch is handed over and its statement has written (it holds a transaction
      // id), but nothing of it is committed.
      const claimed = () =>
        env.database.sql<{ n: number }[]>`
          select count(*)::int as n from usage_flush_batches where id like ${`${batchId}:%`}`;
      expect((await claimed())[0]?.n).toBe(0);

      first.signal("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
      const pids = flushing.map((r) => r.pid);
      await waitFor("PostgreSQL to end the dead worker's statements", async () => {
        const [row] = await env.database.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where pid in ${env.database.sql(pids)}`;
        return row?.n === 0;
      });
      // Rolled back: no claim, no counts; the batch is still in flight in Redis for the next worker.
      expect((await claimed())[0]?.n).toBe(0);
      const [counted] = await env.database.sql<{ n: number }[]>`
        select count(*)::int as n from key_model_usage_daily where key_id = ${key.id}`;
      expect(counted?.n).toBe(0);
      expect(await redis.get(processingUsageKey(env.prefix))).toBe(batchId);
      expect(await redis.exists(usageBatchKey(env.prefix, batchId))).toBe(1);

      // Uses after the hand-over go to a fresh buffer, flushed after the batch in flight.
      for (let i = 6; i < 9; i++) await useKey(key.secret, i);
      await buffered(key.id, 3);
    } finally {
      unlock();
      await holding;
      await locker.end();
    }

    const second = await startWorker();
    await waitFor(
      "the next worker to flush the batch in flight, then the fresh buffer",
      async () => (await redis.exists(processingUsageKey(env.prefix), pendingUsageKey(env.prefix))) === 0,
      30_000,
    );
    const day = await usageOf(0, user.token, key.id);
    const reported = reportedSince(before);
    expect(reported.answers).toBe(9);
    expect(day).toMatchObject({
      requests: 9,
      prompt_tokens: reported.prompt,
      completion_tokens: reported.completion,
    });
    expect(day.by_model).toMatchObject([{ model: STUB_MODEL, answered: 9, refused: 0, upstream_errors: 0 }]);
    second.signal("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
