import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.js";
import { parseModelField, type UsageCounter } from "./buffer.js";

// Reading a usage batch handed over by the flush (flush.ts): the hash's fields become each key's last
// use, its day counts and its per-model counters.

/** One key's uses in a batch, as read from its hash. */
export interface KeyUsage {
  lastUsedMs: number | null;
  /** day (YYYY-MM-DD) → requests */
  days: Map<string, number>;
  /** `<day> <model>` → counters (a space cannot occur in a day) */
  models: Map<string, Partial<Record<UsageCounter, number>>>;
}

// A field PostgreSQL would refuse must be dropped here, or its batch would fail on every run and the
// flush would never get past it.
const MAX_MS = Date.UTC(9999, 11, 31);
const isTime = (ms: number) => Number.isSafeInteger(ms) && ms > 0 && ms < MAX_MS;
function isDay(day: string): boolean {
  const at = Date.parse(`${day}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && isTime(at) && new Date(at).toISOString().startsWith(day);
}

/** HSCAN rather than HGETALL so that a large buffer never blocks Redis for long. */
export async function readUsageBatch(
  deps: { redis: Redis; logger: Logger },
  key: string,
): Promise<Map<string, KeyUsage>> {
  const usage = new Map<string, KeyUsage>();
  const entry = (keyId: string): KeyUsage => {
    let u = usage.get(keyId);
    if (!u) {
      u = { lastUsedMs: null, days: new Map(), models: new Map() };
      usage.set(keyId, u);
    }
    return u;
  };
  let cursor = "0";
  do {
    const [next, flat] = await deps.redis.hscan(key, cursor, "COUNT", 1000);
    cursor = next;
    // HSCAN may return a field twice; the hash no longer changes, so assigning (not adding) is exact.
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] as string;
      const value = Number(flat[i + 1]);
      if (field.startsWith("t:") && field.length > 2 && isTime(value)) {
        const u = entry(field.slice(2));
        u.lastUsedMs = Math.max(u.lastUsedMs ?? 0, value);
        continue;
      }
      const counted = field.startsWith("m:") ? parseModelField(field) : undefined;
      if (counted && isDay(counted.day) && Number.isSafeInteger(value) && value > 0) {
        const models = entry(counted.keyId).models;
        const slot = `${counted.day} ${counted.model}`;
        const counters = models.get(slot) ?? {};
        counters[counted.counter] = value;
        models.set(slot, counters);
        continue;
      }
      const cut = field.lastIndexOf(":");
      const day = field.slice(cut + 1);
      if (field.startsWith("c:") && cut > 2 && isDay(day) && Number.isSafeInteger(value) && value > 0) {
        entry(field.slice(2, cut)).days.set(day, value);
        continue;
      }
      deps.logger.warn({ field }, "ignoring a malformed usage buffer field");
    }
  } while (cursor !== "0");
  return usage;
}
