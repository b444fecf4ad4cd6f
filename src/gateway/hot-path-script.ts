import type { Redis } from "ioredis";
import { epochKey, keyChangedAtKey } from "../keys/key-state.js";
import { pendingUsageKey, utcDay } from "../usage/buffer.js";

// Everything the /v1 requests of one event-loop turn ask of Redis, as ONE script call (see
// hot-path-batch.ts for why): read key markers, add to expiring counters, buffer key uses.
// - markers: `GET <prefix>:keys:changed-at:<id>` and `GET <prefix>:keys:epoch` (keys/key-state.ts);
// - counters: a fixed window that starts at its first increment (SET NX EX, INCRBY, PTTL; EXPIRE if it
//   lost its TTL): the rate limit windows (rate-limit.ts);
// - uses: usage/buffer.ts's hash, counts summed per key and UTC day, last-used moved only forward,
//   under pcall: a failed use (a hash of the wrong type) is reported and never fails the turn.
// To count something else per turn (tokens), add a section here, in TurnInput and in TurnOutput.

const HOT_PATH_SCRIPT = `
local markers = tonumber(ARGV[1])
local counters = tonumber(ARGV[2])
local out = {}
out[1] = redis.call('GET', KEYS[1])
for i = 1, markers do
  out[#out + 1] = redis.call('GET', KEYS[2 + i])
end
for i = 1, counters do
  local key = KEYS[2 + markers + i]
  local amount = ARGV[1 + 2 * i]
  local seconds = ARGV[2 + 2 * i]
  redis.call('SET', key, 0, 'EX', seconds, 'NX')
  local total = redis.call('INCRBY', key, amount)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('EXPIRE', key, seconds)
    ttl = 1000 * tonumber(seconds)
  end
  out[#out + 1] = total
  out[#out + 1] = ttl
end
local usageError = false
for i = 3 + 2 * counters, #ARGV, 4 do
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

/** What one turn asks. */
export interface TurnInput {
  /** Key ids whose change markers to read. */
  markers: string[];
  /** Expiring counters to add to: the rate limit windows. */
  counters: Array<{ key: string; amount: number; ttlSeconds: number }>;
  /** Key uses to buffer for the flush, already summed per key and day. */
  uses: Array<{ keyId: string; at: Date; count: number }>;
}

/** What Redis answers, in the order of the input's lists. */
export interface TurnOutput {
  /** The shared epoch, or null when Redis lost it. */
  epoch: string | null;
  /** Each change marker (epoch ms as text), or null when none was published. */
  changedAt: Array<string | null>;
  /** Each counter's total after the addition, and the ms before its window ends. */
  counters: Array<{ total: number; ttlMs: number }>;
  /** Why the uses were not buffered, or null (also null when there were none). */
  usageError: string | null;
}

const COMMAND = "keywardHotPath";
type WithHotPath = Redis & { [COMMAND](...args: Array<string | number>): Promise<unknown[]> };
const defined = new WeakSet<Redis>();

/** Sends one turn; the script is defined on the client once, then only its SHA1 is sent (EVALSHA). */
export async function runTurn(redis: Redis, prefix: string, input: TurnInput): Promise<TurnOutput> {
  if (!defined.has(redis)) {
    redis.defineCommand(COMMAND, { lua: HOT_PATH_SCRIPT });
    defined.add(redis);
  }
  const keys: string[] = [epochKey(prefix), pendingUsageKey(prefix)];
  const args: Array<string | number> = [input.markers.length, input.counters.length];
  for (const id of input.markers) keys.push(keyChangedAtKey(prefix, id));
  for (const counter of input.counters) {
    keys.push(counter.key);
    args.push(counter.amount, counter.ttlSeconds);
  }
  for (const use of input.uses) {
    args.push(`t:${use.keyId}`, `c:${use.keyId}:${utcDay(use.at)}`, use.at.getTime(), use.count);
  }
  const out = await (redis as WithHotPath)[COMMAND](keys.length, ...keys, ...args);
  let at = 1;
  const changedAt: Array<string | null> = [];
  for (let i = 0; i < input.markers.length; i++) changedAt.push((out[at++] as string | null) ?? null);
  const counters: TurnOutput["counters"] = [];
  for (let i = 0; i < input.counters.length; i++) {
    counters.push({ total: Number(out[at++]), ttlMs: Number(out[at++]) });
  }
  const usageError = out[at];
  return {
    epoch: (out[0] as string | null) ?? null,
    changedAt,
    counters,
    usageError: usageError ? String(usageError) : null,
  };
}

/**
 * Records `count` uses of a key at `at` at once, with the same script (no marker, no counter): for
 * whatever records uses outside the gateway's batch, and for tests that need uses buffered.
 */
export async function recordKeyUse(
  redis: Redis,
  prefix: string,
  keyId: string,
  at: Date,
  count = 1,
): Promise<void> {
  const out = await runTurn(redis, prefix, { markers: [], counters: [], uses: [{ keyId, at, count }] });
  if (out.usageError) throw new Error(out.usageError);
}
