import type { Redis } from "ioredis";
import { deadAtKey, epochKey } from "../keys/key-state.js";
import { pendingUsageKey, utcDay } from "../usage/buffer.js";

// Everything a /v1 request asks of Redis, gathered over one event-loop turn and sent as ONE script
// call for every request of that turn: each key's dead-at marker (with the shared epoch), each rate
// limit window's increment, and the key uses to buffer for the flush. Under load one turn holds the
// requests of many connections, so what a request costs in Redis commands, promises, protocol
// encoding and socket writes is shared by all of them; Redis, which runs on the same machine's cores,
// also runs one script instead of two or three commands per request.
//
// Same keys and same semantics as the commands it replaces:
// - markers: `GET <prefix>:keys:dead-at:<id>` and `GET <prefix>:keys:epoch` (see keys/key-state.ts);
// - rate windows: rate-limiter-flexible's RateLimiterRedis step (SET NX EX, INCRBY, PTTL, and EXPIRE if
//   the key lost its TTL); several consumes of one window in a turn are one INCRBY of their sum, each
//   caller getting the count it would have seen had they run one after another;
// - uses: usage/buffer.ts's hash, counts summed per key and UTC day, last-used moved only forward. Run
//   under pcall: a failure there (a hash of the wrong type, say) is reported to the use's callback and
//   never fails the key checks and limits of the turn.

const HOT_PATH_SCRIPT = `
local markers = tonumber(ARGV[1])
local windows = tonumber(ARGV[2])
local out = {}
out[1] = redis.call('GET', KEYS[1])
for i = 1, markers do
  out[#out + 1] = redis.call('GET', KEYS[2 + i])
end
for i = 1, windows do
  local key = KEYS[2 + markers + i]
  local points = ARGV[1 + 2 * i]
  local seconds = ARGV[2 + 2 * i]
  redis.call('SET', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('INCRBY', key, points)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('EXPIRE', key, seconds)
    ttl = 1000 * tonumber(seconds)
  end
  out[#out + 1] = consumed
  out[#out + 1] = ttl
end
local usageError = false
for i = 3 + 2 * windows, #ARGV, 4 do
  local tField, cField, atMs, count = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local added = redis.pcall('HINCRBY', KEYS[2], cField, count)
  if type(added) == 'table' and added.err then
    usageError = added.err
    break
  end
  local current = redis.call('HGET', KEYS[2], tField)
  if (not current) or tonumber(atMs) > tonumber(current) then
    redis.call('HSET', KEYS[2], tField, atMs)
  end
end
out[#out + 1] = usageError
return out`;

const COMMAND = "keywardHotPath";
const DAY_MS = 86_400_000;
type WithHotPath = Redis & { [COMMAND](...args: Array<string | number>): Promise<unknown[]> };

export interface KeyState {
  /** The key's dead-at marker (epoch ms as text), or null when none was published. */
  deadAt: string | null;
  /** The shared epoch at that moment, or null when Redis lost it. */
  epoch: string | null;
}

/** What RateLimiterRedis's script answers: the window's count after the increment, and its TTL in ms. */
export type WindowCount = [consumed: number, ttlMs: number];

const defined = new WeakSet<Redis>();

/** Defines the script on a client, once: after its first use only its SHA1 is sent (EVALSHA). */
function defineHotPathCommand(redis: Redis): void {
  if (defined.has(redis)) return;
  redis.defineCommand(COMMAND, { lua: HOT_PATH_SCRIPT });
  defined.add(redis);
}

/**
 * Records `count` uses of a key at `at` at once, with the same script (no marker, no window): for
 * whatever records uses outside the gateway's batch, and for tests that need uses buffered.
 */
export async function recordKeyUse(
  redis: Redis,
  prefix: string,
  keyId: string,
  at: Date,
  count = 1,
): Promise<void> {
  defineHotPathCommand(redis);
  const out = await (redis as WithHotPath)[COMMAND](
    2,
    epochKey(prefix),
    pendingUsageKey(prefix),
    0,
    0,
    `t:${keyId}`,
    `c:${keyId}:${utcDay(at)}`,
    at.getTime(),
    count,
  );
  const usageError = out[out.length - 1];
  if (usageError) throw new Error(String(usageError));
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

interface Turn {
  markers: Map<string, Array<Waiter<KeyState>>>;
  windows: Map<string, { seconds: number; calls: Array<{ points: number; waiter: Waiter<WindowCount> }> }>;
  uses: Map<string, { keyId: string; at: Date; count: number }>;
}

export interface HotPathBatch {
  /** The connection the batch sends on (also the rate limiters' store client). */
  redis: Redis;
  /**
   * True while the connection can take commands and the batch is not suspended; callers fall back
   * (keys to PostgreSQL, limits to memory) otherwise, without waiting.
   */
  ready(): boolean;
  readKeyState(keyId: string): Promise<KeyState>;
  incrementWindow(rlKey: string, points: number, seconds: number): Promise<WindowCount>;
  /** One use of a key, summed with the turn's others; fire and forget (dropped while not ready). */
  noteUse(keyId: string, at: Date): void;
}

export interface HotPathBatchOptions {
  /** How long a timed-out call suspends the batch (default 5 s). */
  suspendMs?: number;
  /** The time, in ms, for the suspension (tests drive it). */
  now?: () => number;
  /** Told when a timed-out call suspends the batch (once per outage, not at each failed retry). */
  onSuspend?: (err: Error, suspendMs: number) => void;
}

/**
 * `redis` should be a connection of the hot path's own (no auto-pipelining needed: there is one
 * command per turn). `usageSettled` hears, once per turn with uses, whether they were recorded.
 *
 * A call that times out (Redis black-holed: the connection looks up, nothing answers, so ioredis only
 * notices through the command timeout) suspends the batch for `suspendMs`: meanwhile `ready()` is
 * false and every request falls back at once, instead of each waiting out its own timeout. Then one
 * turn, alone, tries Redis again (the others still fall back while it waits): its answer resumes the
 * batch, its timeout suspends it again. `onSuspend` hears only the first suspension of an outage.
 *
 * A script that timed out may still run if Redis wakes up: its increments and uses then count too,
 * after its requests used the per-process limits instead (a key can be over-counted for the rest of
 * that minute's window).
 */
export function createHotPathBatch(
  redis: Redis,
  prefix: string,
  usageSettled: (err: unknown) => void,
  options: HotPathBatchOptions = {},
): HotPathBatch {
  defineHotPathCommand(redis);
  const suspendMs = options.suspendMs ?? 5_000;
  const now = options.now ?? Date.now;
  // A circuit breaker: "closed" sends every turn; "open" (after a timed-out call) sends nothing until
  // `openUntil`; then "probing" sends one trial turn, and only that one, until it answers (closed
  // again) or times out (open again).
  let mode: "closed" | "open" | "probing" = "closed";
  let openUntil = 0;
  let probe: Turn | undefined;
  function ready(): boolean {
    if (redis.status !== "ready") return false;
    if (mode === "closed") return true;
    if (mode === "open") {
      if (now() < openUntil) return false;
      mode = "probing";
      probe = undefined;
      return true;
    }
    // Probing: callers may join the trial turn while it is still being gathered, not after.
    return probe === undefined || probe === turn;
  }
  function suspend(err: Error): void {
    const wasClosed = mode === "closed";
    mode = "open";
    openUntil = now() + suspendMs;
    probe = undefined;
    if (wasClosed) options.onSuspend?.(err, suspendMs);
  }
  const epoch = epochKey(prefix);
  const usage = pendingUsageKey(prefix);
  let turn: Turn | undefined;

  function current(): Turn {
    if (!turn) {
      turn = { markers: new Map(), windows: new Map(), uses: new Map() };
      if (mode === "probing" && probe === undefined) probe = turn;
      setImmediate(send);
    }
    return turn;
  }

  function send(): void {
    const batch = turn;
    turn = undefined;
    if (!batch) return;
    try {
      sendTurn(batch);
    } catch (err) {
      fail(batch, err);
    }
  }

  function sendTurn(batch: Turn): void {
    // The script answers in the maps' own order (markers, then windows), which settle() walks again.
    const keys: string[] = [epoch, usage];
    const args: Array<string | number> = [batch.markers.size, batch.windows.size];
    for (const id of batch.markers.keys()) keys.push(deadAtKey(prefix, id));
    for (const [key, window] of batch.windows) {
      keys.push(key);
      let points = 0;
      for (const call of window.calls) points += call.points;
      args.push(points, window.seconds);
    }
    for (const use of batch.uses.values()) {
      args.push(`t:${use.keyId}`, `c:${use.keyId}:${utcDay(use.at)}`, use.at.getTime(), use.count);
    }
    (redis as WithHotPath)[COMMAND](keys.length, ...keys, ...args).then(
      (out) => {
        if (batch === probe) {
          mode = "closed";
          probe = undefined;
        }
        try {
          settle(batch, out);
        } catch (err) {
          fail(batch, err);
        }
      },
      (err) => fail(batch, err),
    );
  }

  function settle(batch: Turn, out: unknown[]): void {
    const epochNow = (out[0] as string | null) ?? null;
    let at = 1;
    for (const waiters of batch.markers.values()) {
      const state: KeyState = { deadAt: (out[at++] as string | null) ?? null, epoch: epochNow };
      for (const waiter of waiters) waiter.resolve(state);
    }
    for (const { calls } of batch.windows.values()) {
      const total = Number(out[at++]);
      const ttl = Number(out[at++]);
      // The sum was added at once; each caller sees the count as if the calls had run in order.
      let before = total;
      for (const call of calls) before -= call.points;
      for (const call of calls) {
        before += call.points;
        call.waiter.resolve([before, ttl]);
      }
    }
    if (batch.uses.size > 0) {
      const usageError = out[at];
      usageSettled(usageError ? new Error(String(usageError)) : null);
    }
  }

  function fail(batch: Turn, err: unknown): void {
    const timedOut = err instanceof Error && /timed out/i.test(err.message);
    if (timedOut && (mode === "closed" || batch === probe)) suspend(err);
    else if (batch === probe) {
      // The trial failed otherwise (not a silence): Redis is reachable again, or plainly down.
      mode = "closed";
      probe = undefined;
    }
    for (const waiters of batch.markers.values()) for (const waiter of waiters) waiter.reject(err);
    for (const window of batch.windows.values()) for (const call of window.calls) call.waiter.reject(err);
    if (batch.uses.size > 0) usageSettled(err ?? new Error("key use not recorded"));
  }

  const notReady = () => new Error("Redis connection is not ready (or the hot path is suspended)");

  return {
    redis,
    ready,

    readKeyState(keyId) {
      if (!ready()) return Promise.reject(notReady());
      return new Promise((resolve, reject) => {
        const markers = current().markers;
        const waiters = markers.get(keyId);
        if (waiters) waiters.push({ resolve, reject });
        else markers.set(keyId, [{ resolve, reject }]);
      });
    },

    incrementWindow(rlKey, points, seconds) {
      if (!ready()) return Promise.reject(notReady());
      return new Promise((resolve, reject) => {
        const windows = current().windows;
        const call = { points, waiter: { resolve, reject } };
        const window = windows.get(rlKey);
        if (!window) windows.set(rlKey, { seconds, calls: [call] });
        else {
          window.calls.push(call);
          window.seconds = Math.max(window.seconds, seconds);
        }
      });
    },

    noteUse(keyId, at) {
      if (!ready()) return;
      const uses = current().uses;
      const slot = `${keyId}:${Math.floor(at.getTime() / DAY_MS)}`;
      const use = uses.get(slot);
      if (!use) uses.set(slot, { keyId, at, count: 1 });
      else {
        use.count++;
        if (at.getTime() > use.at.getTime()) use.at = at;
      }
    },
  };
}
