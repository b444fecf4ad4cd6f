import type { Redis } from "ioredis";
import { epochKey, keyChangedAtKey } from "../keys/key-state.js";
import { pendingUsageKey, utcDay } from "../usage/buffer.js";

// Everything the /v1 requests of one event-loop turn ask of Redis, as ONE script call (see
// hot-path-batch.ts for why): read key markers, add to expiring counters, buffer key uses.
// - markers: `GET <prefix>:keys:changed-at:<id>` and `GET <prefix>:keys:epoch` (keys/key-state.ts);
// - counters: a fixed window that starts at its first increment (SET NX EX, INCRBY, PTTL; EXPIRE if it
//   lost its TTL): the rate limit windows (rate-limit.ts);
// - adjustments: added to a counter only if it exists (token settlements and refunds, which must not
//   start a window of their own). Each settles a reservation of an earlier call, so one whose window
//   exists is added before the counters: a request of this call is judged without what was given
//   back (a reservation taken ahead for a key whose record then changed is given back in the same
//   call as it is taken again). One whose window does not exist yet (an excess charged to a minute
//   that has just begun) is added after them, if one of them started it;
// - uses: usage/buffer.ts's hash, last-used moved only forward (and, for `recordKeyUse`, a count);
// - fields: finished requests' counts for the same hash (usage/buffer.ts's usageFields), summed.
// Uses and fields run under pcall: a failure (a hash of the wrong type) is reported and never fails
// the key checks and limits of the turn.

const HOT_PATH_SCRIPT = `
local markers = tonumber(ARGV[1])
local counters = tonumber(ARGV[2])
local adjustments = tonumber(ARGV[3])
local uses = tonumber(ARGV[4])
local out = {}
out[1] = redis.call('GET', KEYS[1])
for i = 1, markers do
  out[#out + 1] = redis.call('GET', KEYS[2 + i])
end
local a = 5 + 2 * counters
local pending = {}
for i = 1, adjustments do
  local key = KEYS[2 + markers + counters + i]
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCRBY', key, ARGV[a])
  else
    pending[#pending + 1] = {key, ARGV[a]}
  end
  a = a + 1
end
local c = 5
for i = 1, counters do
  local key = KEYS[2 + markers + i]
  local amount, seconds = ARGV[c], ARGV[c + 1]
  c = c + 2
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
for _, adjustment in ipairs(pending) do
  if redis.call('EXISTS', adjustment[1]) == 1 then
    redis.call('INCRBY', adjustment[1], adjustment[2])
  end
end
local usageError = false
local function failed(reply)
  if type(reply) == 'table' and reply.err then
    usageError = reply.err
    return true
  end
  return false
end
for i = 1, uses do
  local tField, cField, atMs, count = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  a = a + 4
  if not usageError then
    local current = redis.pcall('HGET', KEYS[2], tField)
    if not failed(current) then
      if count ~= '0' then redis.call('HINCRBY', KEYS[2], cField, count) end
      if (not current) or tonumber(atMs) > tonumber(current) then
        redis.call('HSET', KEYS[2], tField, atMs)
      end
    end
  end
end
for j = a, #ARGV, 2 do
  if not usageError then
    failed(redis.pcall('HINCRBY', KEYS[2], ARGV[j], ARGV[j + 1]))
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
  /** Counters to add to only if they exist (settlements and refunds of token reservations). */
  adjustments: Array<{ key: string; amount: number }>;
  /** Key uses to buffer for the flush (last-used; `count` requests too when not 0). */
  uses: Array<{ keyId: string; at: Date; count: number }>;
  /** Usage buffer fields to add to, summed. */
  fields: Array<[field: string, increment: number]>;
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
  const args: Array<string | number> = [
    input.markers.length,
    input.counters.length,
    input.adjustments.length,
    input.uses.length,
  ];
  for (const id of input.markers) keys.push(keyChangedAtKey(prefix, id));
  for (const counter of input.counters) {
    keys.push(counter.key);
    args.push(counter.amount, counter.ttlSeconds);
  }
  for (const adjustment of input.adjustments) {
    keys.push(adjustment.key);
    args.push(adjustment.amount);
  }
  for (const use of input.uses) {
    args.push(`t:${use.keyId}`, `c:${use.keyId}:${utcDay(use.at)}`, use.at.getTime(), use.count);
  }
  for (const [field, increment] of input.fields) args.push(field, increment);
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
  const out = await runTurn(redis, prefix, {
    markers: [],
    counters: [],
    adjustments: [],
    uses: [{ keyId, at, count }],
    fields: [],
  });
  if (out.usageError) throw new Error(out.usageError);
}

/** Adds to usage buffer fields at once, with the same script: for tests that need usage buffered. */
export async function recordUsageFields(
  redis: Redis,
  prefix: string,
  fields: Array<[field: string, increment: number]>,
): Promise<void> {
  const out = await runTurn(redis, prefix, { markers: [], counters: [], adjustments: [], uses: [], fields });
  if (out.usageError) throw new Error(out.usageError);
}
