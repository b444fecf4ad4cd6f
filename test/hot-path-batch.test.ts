import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHotPathBatch, type HotPathBatch } from "../src/gateway/hot-path-batch.js";
import { createKeyAuthenticator } from "../src/gateway/key-authenticator.js";
import { createKeyRateLimiter } from "../src/gateway/rate-limit.js";
import { epochKey, keyChangedAtKey } from "../src/keys/key-state.js";
import { connectRedis } from "../src/redis/client.js";
import { pendingUsageKey } from "../src/usage/buffer.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { waitFor } from "./support/wait-for.js";

// The gateway's Redis work for one event-loop turn (markers, rate windows, key uses) leaves as one
// script call on its own connection. These tests run it on the real Redis and count what is sent.

let env: TestEnv;
const connections: Redis[] = [];

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await env.close();
});

/** The names of the commands sent on a connection from now on (the connection itself is real). */
function countCommands(redis: Redis): string[] {
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, stream?: unknown) => {
    sent.push(command.name);
    return send(command as never, stream as never);
  }) as typeof redis.sendCommand;
  return sent;
}

/** A batch on a fresh connection whose commands are counted. */
async function countedBatch(prefix = env.prefix) {
  const redis = connectRedis(env.config);
  connections.push(redis);
  await redis.ping();
  const sent = countCommands(redis);
  const usage: unknown[] = [];
  const batch = createHotPathBatch(redis, prefix, (err) => usage.push(err));
  return { redis, batch, sent, usage };
}

/** A real connection to Redis through a proxy the test can stall, cut or close (support/tcp-proxy.ts). */
async function proxiedConnection(options: RedisOptions = {}) {
  const target = new URL(env.config.redisUrl);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const redis = new Redis({ host: "127.0.0.1", port: proxy.port, ...options });
  redis.on("error", () => {});
  connections.push(redis);
  await redis.ping();
  return { proxy, redis };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

let direct: Redis | undefined;
/** A connection of the test's own, straight to Redis, to look at what arrived. */
function connectedRedis(): Redis {
  if (!direct) {
    direct = connectRedis(env.config);
    connections.push(direct);
  }
  return direct;
}

describe("one script call per event-loop turn", () => {
  it("answers every marker, window and use of a turn with one command, as if run one by one", async () => {
    const { redis, batch, sent, usage } = await countedBatch();
    await redis.set(epochKey(env.prefix), "epoch-1");
    await redis.set(keyChangedAtKey(env.prefix, "key_dead"), "1700000000000");
    // A window an earlier turn counted 3 in.
    await redis.set(`${env.prefix}:ratelimit:key_other`, "3", "EX", 60);
    sent.length = 0;

    const day = Date.parse("2026-03-10T10:00:00.000Z");
    const window = `${env.prefix}:ratelimit:key_live`;
    const results = Promise.all([
      batch.readKeyState("key_live"),
      batch.readKeyState("key_dead"),
      batch.readKeyState("key_live"),
      batch.incrementWindow(window, 1, 60),
      batch.incrementWindow(window, 1, 60),
      batch.incrementWindow(`${env.prefix}:ratelimit:key_other`, 1, 60),
      batch.incrementWindow(window, 2, 60),
    ]);
    // Uses out of order, two keys, across midnight.
    batch.noteUse("key_b", new Date(day + 5));
    batch.noteUse("key_b", new Date(day + 9));
    batch.noteUse("key_b", new Date(day + 1));
    batch.noteUse("key_c", new Date(day));
    batch.noteUse("key_b", new Date(Date.parse("2026-03-11T00:00:02.000Z")));
    // Finished requests' counts, summed per field; a refund to a window that exists (applied before the
    // turn's own counts: it gives back what an earlier turn took), and one to a window that does not.
    batch.addUsage([
      ["c:key_b:2026-03-10", 1],
      ["m:key_b:2026-03-10:p:m", 7],
    ]);
    batch.addUsage([
      ["c:key_b:2026-03-10", 1],
      ["m:key_b:2026-03-10:p:m", 5],
    ]);
    batch.adjustWindow(`${env.prefix}:ratelimit:key_other`, -1);
    batch.adjustWindow(`${env.prefix}:tokens:key_gone:0`, -50);
    const [live, dead, liveAgain, first, second, other, third] = await results;

    expect(sent).toEqual(["evalsha"]);
    expect(live).toEqual({ changedAt: null, epoch: "epoch-1" });
    expect(liveAgain).toEqual(live);
    expect(dead).toEqual({ changedAt: "1700000000000", epoch: "epoch-1" });
    expect([first?.[0], second?.[0], third?.[0]]).toEqual([1, 2, 4]);
    expect(other?.[0]).toBe(3);
    for (const [, ttl] of [first, second, third, other] as Array<[number, number]>) {
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    expect(await redis.get(window)).toBe("4");
    expect(await redis.pttl(window)).toBeGreaterThan(59_000);
    await tick();
    expect(usage).toEqual([null]);
    // Uses move last-used times only; counts come from the finished requests' fields.
    expect(await redis.hgetall(pendingUsageKey(env.prefix))).toEqual({
      "t:key_b": String(Date.parse("2026-03-11T00:00:02.000Z")),
      "c:key_b:2026-03-10": "2",
      "m:key_b:2026-03-10:p:m": "12",
      "t:key_c": String(day),
    });
    expect(await redis.get(`${env.prefix}:ratelimit:key_other`)).toBe("3");
    expect(await redis.exists(`${env.prefix}:tokens:key_gone:0`)).toBe(0);

    // The next turn is a new call, adding to the same counters and windows.
    sent.length = 0;
    batch.noteUse("key_c", new Date(day + 100));
    const [next] = await Promise.all([batch.incrementWindow(window, 1, 60), tick()]);
    expect(next[0]).toBe(5);
    expect(sent).toEqual(["evalsha"]);
    await tick();
    expect(await redis.hget(pendingUsageKey(env.prefix), "t:key_c")).toBe(String(day + 100));
  });

  it("adds a refund before the turn's counts, and an excess to a window the turn starts after them", async () => {
    const { redis, batch } = await countedBatch();
    const windowKey = (name: string) => `${env.prefix}:tokens:${name}:0`;
    await redis.set(windowKey("open"), "10", "EX", 60);
    batch.adjustWindow(windowKey("open"), -4); // an earlier call's reservation, given back
    batch.adjustWindow(windowKey("new"), 5); // an excess charged to a minute just begun
    batch.adjustWindow(windowKey("none"), 5);
    const [open, started] = await Promise.all([
      batch.incrementWindow(windowKey("open"), 1, 60),
      batch.incrementWindow(windowKey("new"), 2, 60),
    ]);
    expect(open[0]).toBe(7);
    expect(started[0]).toBe(2);
    expect(await redis.get(windowKey("new"))).toBe("7");
    expect(await redis.exists(windowKey("none"))).toBe(0);
  });

  it("reads a lost epoch as null, so the caller drops its cache", async () => {
    const { redis, batch } = await countedBatch(`${env.prefix}:noepoch`);
    await redis.del(epochKey(`${env.prefix}:noepoch`));
    expect(await batch.readKeyState("key_x")).toEqual({ changedAt: null, epoch: null });
  });

  it("reports a failed use to its callback without failing the turn's key checks and limits", async () => {
    const prefix = `${env.prefix}:wrongtype`;
    const { redis, batch, usage } = await countedBatch(prefix);
    await redis.set(pendingUsageKey(prefix), "not a hash");
    batch.noteUse("key_d", new Date());
    const [state, count] = await Promise.all([
      batch.readKeyState("key_d"),
      batch.incrementWindow(`${prefix}:ratelimit:key_d`, 1, 60),
    ]);
    expect(state.changedAt).toBeNull();
    expect(count[0]).toBe(1);
    await tick();
    expect(usage).toHaveLength(1);
    expect(String(usage[0])).toMatch(/WRONGTYPE/);
  });

  it("refuses at once while the connection is not ready, and keeps uses noted then unsent", async () => {
    const { redis, batch, sent, usage } = await countedBatch();
    const ended = new Promise((resolve) => redis.once("end", resolve));
    await redis.quit();
    await ended;
    sent.length = 0;
    expect(batch.ready()).toBe(false);
    await expect(batch.readKeyState("key_e")).rejects.toThrow(/not ready/);
    await expect(batch.incrementWindow(`${env.prefix}:ratelimit:key_e`, 1, 60)).rejects.toThrow(/not ready/);
    batch.noteUse("key_e", new Date());
    await tick();
    expect(sent).toEqual([]);
    expect(usage).toEqual([]);
  });
});

describe("a Redis that stops answering (black hole)", () => {
  it("suspends the batch after one timed-out call, so requests fall back at once, then tries again", async () => {
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 200, maxRetriesPerRequest: 1 });
    let clock = 1_000_000;
    const suspensions: number[] = [];
    const resumptions: number[] = [];
    const batch = createHotPathBatch(redis, env.prefix, () => {}, {
      suspendMs: 5_000,
      now: () => clock,
      onSuspend: (_err, ms) => suspensions.push(ms),
      onResume: (ms) => resumptions.push(ms),
    });
    expect((await batch.readKeyState("key_bh")).changedAt).toBeNull();

    proxy.stall();
    const stalled = Promise.allSettled([
      batch.readKeyState("key_bh"),
      batch.incrementWindow(`${env.prefix}:ratelimit:key_bh`, 1, 60),
    ]);
    await tick();
    // Gathered while that call is out: held, then refused at once when it times out, not after a
    // timeout of its own.
    const gathered = batch.readKeyState("key_bh3");
    const [state, window] = await stalled;
    await expect(gathered).rejects.toThrow(/suspended/);
    expect(state.status).toBe("rejected");
    expect(String((state as PromiseRejectedResult).reason)).toMatch(/timed out/);
    expect(window.status).toBe("rejected");
    expect(suspensions).toEqual([5_000]);
    // Suspended: refused at once (the connection itself still looks ready to ioredis).
    expect(redis.status).toBe("ready");
    expect(batch.ready()).toBe(false);
    await expect(batch.readKeyState("key_bh")).rejects.toThrow(/suspended/);

    // Once the suspension ends, one turn alone tries Redis again; the others fall back while it waits.
    clock += 4_999;
    expect(batch.ready()).toBe(false);
    clock += 1;
    expect(batch.ready()).toBe(true);
    const trial = batch.readKeyState("key_bh");
    const alsoInTrial = batch.readKeyState("key_bh2"); // same turn: rides the trial
    await tick();
    expect(batch.ready()).toBe(false);
    await expect(batch.readKeyState("key_bh")).rejects.toThrow(/suspended/);
    await expect(trial).rejects.toThrow(/timed out/);
    await expect(alsoInTrial).rejects.toThrow(/timed out/);
    // Still silent: suspended again, without a second warning for the same outage.
    expect(batch.ready()).toBe(false);
    expect(suspensions).toEqual([5_000]);

    proxy.resume();
    clock += 5_000;
    expect(batch.ready()).toBe(true);
    expect(resumptions).toEqual([]);
    expect(await batch.readKeyState("key_bh")).toMatchObject({ changedAt: null });
    // The trial answered: every turn goes to Redis again, and the end of the outage is told once.
    expect(resumptions).toEqual([10_000]);
    expect(batch.ready()).toBe(true);
    const [x, y] = await Promise.all([batch.readKeyState("key_bh"), batch.readKeyState("key_bh2")]);
    expect([x.changedAt, y.changedAt]).toEqual([null, null]);
    await proxy.close();
  });
  it("refuses a turn gathered behind a call that failed with the connection (not a silence) at once", async () => {
    // No retry per command: a dropped connection fails the call out at once, without a timeout.
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 5_000, maxRetriesPerRequest: 0 });
    const suspensions: number[] = [];
    const batch = createHotPathBatch(redis, env.prefix, () => {}, {
      onSuspend: (_err, ms) => suspensions.push(ms),
    });
    await batch.readKeyState("key_warm");

    proxy.stall();
    const out = batch.readKeyState("key_out");
    await tick();
    const gathered = batch.readKeyState("key_gathered");
    proxy.cut();
    await expect(out).rejects.toThrow(/max retries/i);
    // The breaker stays closed (no silence), but the connection is reconnecting: the gathered turn is
    // refused by its own check, not sent into ioredis's queue to fail at the next reconnection attempt.
    await expect(gathered).rejects.toThrow(/not ready/);
    expect(redis.status).toBe("reconnecting");
    expect(suspensions).toEqual([]);
    redis.disconnect();
    await proxy.close();
  });

  it("keeps at most its bound of usage counts through an outage, counts put back from a refused turn included", async () => {
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 200, maxRetriesPerRequest: 1 });
    let clock = 1_000_000;
    const reported: unknown[] = [];
    const prefix = `${env.prefix}:held`;
    const batch = createHotPathBatch(redis, prefix, (err) => reported.push(err), {
      now: () => clock,
      maxHeldFields: 2,
    });
    await batch.readKeyState("key_warm");

    proxy.stall();
    const stalled = batch.readKeyState("key_a");
    await tick();
    // Gathered behind the stalled call: two fields, the bound.
    batch.addUsage([
      ["f1", 1],
      ["g1", 2],
    ]);
    await expect(stalled).rejects.toThrow(/timed out/);
    // Between that failure and the gathered turn's refusal: counts kept aside, two more.
    batch.addUsage([
      ["g1", 1],
      ["g2", 1],
    ]);
    // The gathered turn is refused: its counts, put back, find the bound reached; f1 is dropped, and g1,
    // already kept, still takes its 2.
    await tick();
    expect(batch.ready()).toBe(false);
    batch.addUsage([["g1", 5]]); // a field already kept still adds up

    proxy.resume();
    clock += 5_000;
    await batch.readKeyState("key_b"); // the first turn after carries what was kept
    expect(await redis.hgetall(pendingUsageKey(prefix))).toEqual({ g1: "8", g2: "1" });
    expect(reported.filter((err) => /is full/.test(String(err)))).toHaveLength(1);
    await proxy.close();
  });
});

describe("usage counts kept through an outage", () => {
  it("are delivered once Redis is back, even when no request comes to carry them", async () => {
    const { proxy, redis } = await proxiedConnection({ maxRetriesPerRequest: 0 });
    const prefix = `${env.prefix}:quiet`;
    const batch = createHotPathBatch(redis, prefix, () => {}, { heldRetryMs: 10 });
    proxy.cut();
    await waitFor("the cut connection to leave ready", () => redis.status !== "ready");
    batch.addUsage([["c:key_quiet:2026-03-10", 3]]);
    proxy.restore();
    await waitFor(
      "the kept counts to reach Redis",
      async () => (await connectedRedis().hget(pendingUsageKey(prefix), "c:key_quiet:2026-03-10")) === "3",
    );
    await proxy.close();
  });
});

describe("what was kept through an outage", () => {
  it("goes to Redis by itself once a suspension ends, without a request to carry it", async () => {
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 200, maxRetriesPerRequest: 1 });
    let clock = 1_000_000;
    const prefix = `${env.prefix}:kept`;
    const batch = createHotPathBatch(redis, prefix, () => {}, { now: () => clock, heldRetryMs: 10 });
    await batch.readKeyState("key_warm");

    proxy.stall();
    await expect(batch.readKeyState("key_a")).rejects.toThrow(/timed out/);
    proxy.resume();
    // Suspended: a use and counts arriving now are kept, and stay kept while the suspension lasts.
    const usedAt = new Date(1_796_000_000_000);
    batch.noteUse("key_kept", usedAt);
    batch.addUsage([["f_kept", 3]]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.hgetall(pendingUsageKey(prefix))).toEqual({});

    clock += 5_000;
    await waitFor("the kept use and counts in Redis", async () =>
      Object.keys(await redis.hgetall(pendingUsageKey(prefix))).length === 2 ? true : undefined,
    );
    expect(await redis.hgetall(pendingUsageKey(prefix))).toEqual({
      "t:key_kept": String(usedAt.getTime()),
      f_kept: "3",
    });
    expect(batch.ready()).toBe(true);
    await proxy.close();
  });

  it("is not said to be handed over when the call that carried it failed", async () => {
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 200, maxRetriesPerRequest: 1 });
    const batch = createHotPathBatch(redis, `${env.prefix}:lost`, () => {}, { heldRetryMs: 60_000 });
    await batch.readKeyState("key_warm");
    proxy.stall();
    batch.addUsage([["f_lost", 1]]); // sent at once, into the silence
    expect(await batch.handOver(5_000)).toBe(false);
    proxy.resume();
    await proxy.close();
  });

  it("is handed over when the process stops, once Redis answers within the time given", async () => {
    const { proxy, redis } = await proxiedConnection({ commandTimeout: 200, maxRetriesPerRequest: 1 });
    const prefix = `${env.prefix}:handover`;
    const batch = createHotPathBatch(redis, prefix, () => {}, { heldRetryMs: 60_000 });
    await batch.readKeyState("key_warm");
    proxy.cut();
    await waitFor("the connection to drop", () => redis.status !== "ready");
    batch.addUsage([["f_stop", 2]]);
    expect(await batch.handOver(50)).toBe(false); // Redis still away: nothing could go

    proxy.restore();
    expect(await batch.handOver(10_000)).toBe(true);
    expect(await redis.hgetall(pendingUsageKey(prefix))).toEqual({ f_stop: "2" });
    await proxy.close();
  });
});

describe("one call out at a time", () => {
  /** A counted batch whose connection passes through a proxy the test can hold (a stall, then resume). */
  async function heldBatch() {
    const { proxy, redis } = await proxiedConnection();
    const sent = countCommands(redis);
    const batch = createHotPathBatch(redis, env.prefix, () => {});
    await batch.readKeyState("key_warm"); // the script is loaded: one command per call from here
    sent.length = 0;
    return { proxy, batch, sent };
  }

  it("gathers what arrives while a call is out into one call, sent when it answers", async () => {
    const { proxy, batch, sent } = await heldBatch();
    proxy.stall();
    const first = batch.readKeyState("key_1");
    await tick();
    expect(sent).toHaveLength(1);
    // Three more turns' worth while the first call is out, each in an event-loop turn of its own.
    const later = [batch.readKeyState("key_2")];
    await tick();
    later.push(batch.readKeyState("key_3"));
    await tick();
    const window = batch.incrementWindow(`${env.prefix}:ratelimit:key_4`, 1, 60);
    await tick();
    expect(sent).toHaveLength(1);
    proxy.resume();
    expect((await first).changedAt).toBeNull();
    expect((await Promise.all(later)).map((state) => state.changedAt)).toEqual([null, null]);
    expect((await window)[0]).toBe(1);
    expect(sent).toHaveLength(2);
    await proxy.close();
  });

  it("holds nothing back behind a call nobody waits for (uses and counts alone)", async () => {
    const { proxy, batch, sent } = await heldBatch();
    proxy.stall();
    batch.noteUse("key_1", new Date());
    await tick();
    const state = batch.readKeyState("key_1");
    await tick();
    expect(sent).toHaveLength(2);
    proxy.resume();
    expect((await state).changedAt).toBeNull();
    await proxy.close();
  });
});

describe("the key authenticator on the batch", () => {
  it("re-reads a record cached before an epoch change, even when another request of the turn adopted it first", async () => {
    const { batch } = await countedBatch();
    const authenticator = createKeyAuthenticator({
      database: env.database,
      batch,
      logger: env.logger,
      redisPrefix: env.prefix,
      tierLimits: env.config,
    });
    const other = await createAccount(env);
    const owner = await createAccount(env);
    const a = await insertApiKey(env, other.id);
    const k = await insertApiKey(env, owner.id);
    const check = (secret: string) => {
      const presented = authenticator.present(secret);
      if (!presented) throw new Error("malformed test key");
      return authenticator.check(presented, new Date());
    };
    expect((await check(a.secret)).ok).toBe(true);
    expect((await check(k.secret)).ok).toBe(true);
    expect(authenticator.cachedKeys).toBe(2);

    // K's account is disabled and the epoch moves on (what `accounts disable` does; no marker is
    // written), then one turn holds a request with A before one with K: A's answer adopts the new
    // epoch first, and K's record, cached before it, must not be taken as current.
    await env.database.sql`update accounts set disabled_at = now() where id = ${owner.id}`;
    await batch.redis.set(epochKey(env.prefix), "a-new-epoch");
    const [first, second] = await Promise.all([check(a.secret), check(k.secret)]);
    expect(first.ok).toBe(true);
    expect(second.ok).toBe(false);
  });
});

describe("the rate limiter on the batch", () => {
  let batch: HotPathBatch;
  let redis: Redis;
  let sent: string[];
  beforeAll(async () => {
    ({ batch, redis, sent } = await countedBatch());
  });

  it("takes every limit of a turn (limits of any size, made as keys arrive) in one command", async () => {
    const limiter = createKeyRateLimiter(batch, env.prefix);
    sent.length = 0;
    const [a, b, c] = await Promise.all([
      limiter.consume("key_a", 7),
      limiter.consume("key_b", 9),
      limiter.consume("key_a", 7),
    ]);
    expect(sent).toEqual(["evalsha"]);
    expect(a).toMatchObject({ allowed: true, limit: 7, remaining: 6 });
    expect(b).toMatchObject({ allowed: true, limit: 9, remaining: 8 });
    expect(c).toMatchObject({ allowed: true, limit: 7, remaining: 5 });
    // Counted in Redis (shared by every process), not by the in-memory fallback limiter.
    expect(await redis.get(`${env.prefix}:ratelimit:key_a`)).toBe("2");
    expect(await redis.get(`${env.prefix}:ratelimit:key_b`)).toBe("1");
  });

  it("refuses a key past its limit from memory until its window ends, still shared through Redis", async () => {
    const limiter = createKeyRateLimiter(batch, env.prefix);
    const counter = `${env.prefix}:ratelimit:key_blocked`;
    expect((await limiter.consume("key_blocked", 2)).allowed).toBe(true);
    expect((await limiter.consume("key_blocked", 2)).allowed).toBe(true);
    const refused = await limiter.consume("key_blocked", 2);
    expect(refused).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
    expect(await redis.get(counter)).toBe("3");
    sent.length = 0;
    for (let i = 0; i < 5; i++) {
      const again = await limiter.consume("key_blocked", 2);
      expect(again).toMatchObject({ allowed: false, remaining: 0 });
      expect(again.msBeforeReset).toBeGreaterThan(0);
      expect(again.msBeforeReset).toBeLessThanOrEqual(60_000);
    }
    // Not one command reached Redis for this key...
    expect(sent).toEqual([]);
    expect(await redis.get(counter)).toBe("3");
    // ...and another process, which has not seen the 429 yet, is refused by the shared count.
    const otherProcess = createKeyRateLimiter((await countedBatch()).batch, env.prefix);
    expect((await otherProcess.consume("key_blocked", 2)).allowed).toBe(false);
    expect(await redis.get(counter)).toBe("4");
  });

  it("falls back to a per-process count, never an error, while Redis is away", async () => {
    const { redis: gone, batch: away } = await countedBatch();
    const ended = new Promise((resolve) => gone.once("end", resolve));
    await gone.quit();
    await ended;
    const limiter = createKeyRateLimiter(away, env.prefix);
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume("key_local", 2));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(await redis.get(`${env.prefix}:ratelimit:key_local`)).toBeNull();
  });
});
