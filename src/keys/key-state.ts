import type { Redis } from "ioredis";

// Shared, instant key invalidation. Web processes cache key records in memory so the /v1 hot path
// makes no PostgreSQL query; what a cache cannot know on its own (a revocation, a rotation's grace
// ending early, a disabled account) is published here before the admin call answers, and each /v1
// request reads it together with the epoch (in the gateway's per-turn script, proxy/hot-path-batch.ts).
//
// - `<prefix>:keys:dead-at:<keyId>`: epoch milliseconds from which the key no longer works.
// - `<prefix>:keys:epoch`: a random value. If it is missing or changed (Redis restarted or flushed,
//   so markers may be gone), every process drops its cached records and reads PostgreSQL again.

export const deadAtKey = (prefix: string, keyId: string) => `${prefix}:keys:dead-at:${keyId}`;
export const epochKey = (prefix: string) => `${prefix}:keys:epoch`;

// Keep the earliest time: a later rotation can never extend a revocation.
const SET_EARLIEST = `
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(ARGV[1]) < tonumber(current) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1`;

/**
 * Publishes that a key stops working at `atMs`. Call it BEFORE committing the change in PostgreSQL
 * and fail the admin call if it throws: a revocation that other processes might not see must not be
 * reported as done.
 */
export async function markKeyDeadAt(
  redis: Redis,
  prefix: string,
  keyId: string,
  atMs: number,
): Promise<void> {
  await redis.eval(SET_EARLIEST, 1, deadAtKey(prefix, keyId), String(Math.floor(atMs)));
}

/** Makes every process drop its cached key records (a tier change, say). */
export async function bumpKeysEpoch(redis: Redis, prefix: string): Promise<void> {
  await redis.del(epochKey(prefix));
}
