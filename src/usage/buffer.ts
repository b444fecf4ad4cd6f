import type { Redis } from "ioredis";

// Key use is buffered in one Redis hash so the /v1 path never writes to PostgreSQL (the gateway adds
// to it in its per-turn script, proxy/hot-path-batch.ts; recordKeyUse below adds one entry at a time):
//   `t:<keyId>`       → epoch ms of the latest use (last-used time)
//   `c:<keyId>:<day>` → requests on that UTC day
// The flush job renames the hash to hand it over atomically, then writes it to PostgreSQL.

export const pendingUsageKey = (prefix: string) => `${prefix}:usage:pending`;

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

// One atomic command: count the use, and move the last-used time only forward, so uses recorded out
// of order (several web processes, small clock differences) never lower it.
const RECORD_USE = `
redis.call('HINCRBY', KEYS[1], ARGV[2], tonumber(ARGV[4]))
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or tonumber(ARGV[3]) > tonumber(current) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return 1`;

const COMMAND = "keywardRecordKeyUse";
type WithRecordUse = Redis & {
  [COMMAND](key: string, tField: string, cField: string, atMs: string, count: string): Promise<unknown>;
};
const defined = new WeakSet<Redis>();

/**
 * Defines the script command on a client. A client with auto-pipelining must have it before its first
 * pipeline is made: ioredis copies a client's commands into each pipeline when creating it, and a
 * command missing from a pipeline fails that whole batch's callbacks.
 */
export function defineUsageCommands(redis: Redis): void {
  if (defined.has(redis)) return;
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: RECORD_USE });
  defined.add(redis);
}

/**
 * O(1): one script call counting `count` uses at `at`; callers need not wait for it. The script is a
 * defined command, so after its first use on a connection only its SHA1 is sent (EVALSHA; ioredis
 * re-sends the body on NOSCRIPT).
 */
export function recordKeyUse(
  redis: Redis,
  prefix: string,
  keyId: string,
  at: Date,
  count = 1,
): Promise<unknown> {
  defineUsageCommands(redis);
  return (redis as WithRecordUse)[COMMAND](
    pendingUsageKey(prefix),
    `t:${keyId}`,
    `c:${keyId}:${utcDay(at)}`,
    String(at.getTime()),
    String(count),
  );
}
