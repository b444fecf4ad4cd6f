import type { Redis } from "ioredis";

// Key use is buffered in one Redis hash so the /v1 path never writes to PostgreSQL:
//   `t:<keyId>`       → epoch ms of the latest use (last-used time)
//   `c:<keyId>:<day>` → requests on that UTC day
// The flush job renames the hash to hand it over atomically, then writes it to PostgreSQL.

export const pendingUsageKey = (prefix: string) => `${prefix}:usage:pending`;

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** O(1): two hash commands in one round trip; callers need not wait for it. */
export function recordKeyUse(redis: Redis, prefix: string, keyId: string, at: Date): Promise<unknown> {
  const key = pendingUsageKey(prefix);
  return redis
    .pipeline()
    .hset(key, `t:${keyId}`, String(at.getTime()))
    .hincrby(key, `c:${keyId}:${utcDay(at)}`, 1)
    .exec();
}
