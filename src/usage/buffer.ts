import type { Redis } from "ioredis";

// Key use is buffered in one Redis hash so the /v1 path never writes to PostgreSQL:
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
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or tonumber(ARGV[3]) > tonumber(current) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return 1`;

/** O(1): one script call; callers need not wait for it. */
export function recordKeyUse(redis: Redis, prefix: string, keyId: string, at: Date): Promise<unknown> {
  return redis.eval(
    RECORD_USE,
    1,
    pendingUsageKey(prefix),
    `t:${keyId}`,
    `c:${keyId}:${utcDay(at)}`,
    String(at.getTime()),
  );
}
