import type { Redis } from "ioredis";

// Shared key invalidation. Web processes cache key records in memory so the /v1 hot path makes no
// PostgreSQL query; each /v1 request reads its key's change marker and the epoch from Redis (in the
// gateway's per-turn script, proxy/hot-path-batch.ts). Written by publish-key-change.ts, which says
// why a marker is a reason to read PostgreSQL again and never a verdict.
//
// - `<prefix>:keys:changed-at:<keyId>`: `<ms>` or `<ms>:<deadAtMs>`, epoch milliseconds of the key's
//   latest change and, when that change stops the key (a revocation, a rotation's grace end, a
//   disable), when it stops. The stop time is only used while PostgreSQL cannot be asked.
// - `<prefix>:keys:epoch`: a random value. If it is missing or changed (Redis restarted or flushed,
//   so markers may be gone), every process drops its cached records and reads PostgreSQL again.

export const keyChangedAtKey = (prefix: string, keyId: string) => `${prefix}:keys:changed-at:${keyId}`;
export const epochKey = (prefix: string) => `${prefix}:keys:epoch`;

// Keep the latest change: one published late (a stalled write landing) never hides a newer one.
const SET_LATEST = `
local at = tonumber(string.match(ARGV[1], '^%d+'))
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if (not current) or at > (tonumber(string.match(current, '^%d+')) or 0) then
    redis.call('SET', key, ARGV[1])
  end
end
return 1`;

export interface KeyChangeMarker {
  changedAtMs: number;
  deadAtMs: number | null;
}

/** Marks the keys as changed at `atMs`, in one script call (all of them or, on failure, none). */
export async function markKeysChanged(
  redis: Redis,
  prefix: string,
  keyIds: readonly string[],
  atMs: number,
  deadAtMs: number | null = null,
): Promise<void> {
  const keys = keyIds.map((id) => keyChangedAtKey(prefix, id));
  const value = deadAtMs === null ? `${Math.floor(atMs)}` : `${Math.floor(atMs)}:${Math.floor(deadAtMs)}`;
  await redis.eval(SET_LATEST, keys.length, ...keys, value);
}

/** Reads a marker's value; one that cannot be read is taken as a change just now, of unknown effect. */
export function parseKeyChangeMarker(value: string): KeyChangeMarker {
  const [at, dead] = value.split(":");
  const changedAtMs = Number(at);
  const deadAtMs = dead === undefined ? null : Number(dead);
  if (!Number.isFinite(changedAtMs)) return { changedAtMs: Number.POSITIVE_INFINITY, deadAtMs: null };
  return { changedAtMs, deadAtMs: deadAtMs !== null && Number.isFinite(deadAtMs) ? deadAtMs : null };
}

/** Makes every process drop its cached key records. */
export async function bumpKeysEpoch(redis: Redis, prefix: string): Promise<void> {
  await redis.del(epochKey(prefix));
}
