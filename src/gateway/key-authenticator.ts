import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Database } from "../db/client.js";
import { epochKey } from "../keys/key-state.js";
import type { Logger } from "../logging/logger.js";
import { hashSecret, isWellFormedApiKey } from "../secrets/secrets.js";
import type { TierLimits } from "../tiers/tiers.js";
import { withTimeout } from "../time/with-timeout.js";
import type { HotPathBatch } from "./hot-path-batch.js";
import { findKeyRecordByHash, isKeyLive, type KeyRecord } from "./key-records.js";

// Whether a presented key may be used, with no PostgreSQL query in steady state: records are cached
// by key hash (unknown hashes for a few seconds, so made-up keys cannot make every request hit
// PostgreSQL), and every request reads the key's dead-at marker and the shared epoch in the per-turn
// script: revocations publish the marker before they commit, and a lost or changed epoch drops the
// cache. Without Redis keys are checked against PostgreSQL; without PostgreSQL cached keys still work.

export interface PresentedKey {
  hash: string;
  cached: KeyRecord | undefined;
  /** The cache epoch when `cached` was taken: the record is only as good as that epoch. */
  epoch: string | null;
}

export type KeyCheck = { ok: true; record: KeyRecord } | { ok: false; reason: "invalid" | "unavailable" };

const INVALID: KeyCheck = { ok: false, reason: "invalid" };
const UNAVAILABLE: KeyCheck = { ok: false, reason: "unavailable" };

class PostgresUnavailable extends Error {}

export interface KeyAuthenticatorOptions {
  maxEntries?: number;
  unknownKeyTtlMs?: number;
  lookupTimeoutMs?: number;
}

export function createKeyAuthenticator(
  deps: {
    database: Database;
    batch: HotPathBatch;
    logger: Logger;
    redisPrefix: string;
    tierLimits: TierLimits;
    tierTokenLimits: TierLimits;
  },
  options: KeyAuthenticatorOptions = {},
) {
  const { database, batch, logger, tierLimits, tierTokenLimits } = deps;
  const redis = batch.redis;
  const prefix = deps.redisPrefix;
  const maxEntries = options.maxEntries ?? 50_000;
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 2_000;
  const known = new LRUCache<string, KeyRecord>({ max: maxEntries });
  const unknown = new LRUCache<string, true>({ max: maxEntries, ttl: options.unknownKeyTtlMs ?? 5_000 });
  const inflight = new Map<string, Promise<KeyRecord | null>>();
  let cacheEpoch: string | null = null;
  const warnings = new Map<string, number>();

  function warn(kind: string, err: unknown): void {
    // At most one line per kind every 10 s: an outage must not flood the log at request rate.
    const last = warnings.get(kind) ?? 0;
    if (Date.now() - last < 10_000) return;
    warnings.set(kind, Date.now());
    logger.warn({ err }, kind);
  }

  /** One PostgreSQL read per key, however many requests miss at once; bounded in time. */
  function load(hash: string): Promise<KeyRecord | null> {
    let pending = inflight.get(hash);
    if (!pending) {
      pending = withTimeout(
        findKeyRecordByHash(database.sql, hash, tierLimits, tierTokenLimits),
        lookupTimeoutMs,
      )
        .catch((err) => {
          warn("key look-up in PostgreSQL failed", err);
          throw new PostgresUnavailable();
        })
        .finally(() => inflight.delete(hash));
      inflight.set(hash, pending);
    }
    return pending;
  }

  /** Adopts the shared epoch, creating it if Redis lost it; a different epoch drops every cached record. */
  async function adoptEpoch(seen: string | null): Promise<void> {
    let epoch = seen;
    if (epoch === null) {
      await redis.set(epochKey(prefix), randomUUID(), "NX");
      epoch = await redis.get(epochKey(prefix));
    }
    if (epoch !== cacheEpoch) {
      known.clear();
      unknown.clear();
      cacheEpoch = epoch;
    }
  }

  /** Records the marker's time on the (cached) record, keeping the earliest, then checks the record. */
  function applyMarkerAndCheck(record: KeyRecord, deadAt: string | null, nowMs: number): KeyCheck {
    if (deadAt !== null) {
      const at = Number(deadAt);
      if (Number.isFinite(at)) record.deadAtMs = Math.min(record.deadAtMs ?? at, at);
    }
    return isKeyLive(record, nowMs) ? { ok: true, record } : INVALID;
  }

  async function checkAgainstPostgres(hash: string, nowMs: number): Promise<KeyCheck> {
    try {
      const record = await load(hash);
      if (!record) {
        unknown.set(hash, true);
        return INVALID;
      }
      return isKeyLive(record, nowMs) ? { ok: true, record } : INVALID;
    } catch {
      return UNAVAILABLE;
    }
  }

  async function checkWithRedis(presented: PresentedKey, nowMs: number): Promise<KeyCheck> {
    const { hash, cached } = presented;
    if (cached) {
      const { deadAt, epoch } = await batch.readKeyState(cached.id);
      // Compared with the epoch the record was taken under, not the current one: another request of
      // the same turn may have adopted a new epoch (and emptied the cache) meanwhile, and this record
      // is from before it. Then it is read again from PostgreSQL below.
      if (epoch !== null && epoch === presented.epoch) return applyMarkerAndCheck(cached, deadAt, nowMs);
      await adoptEpoch(epoch);
    } else if (cacheEpoch === null) {
      await adoptEpoch(await redis.get(epochKey(prefix)));
    }
    const filledUnder = cacheEpoch;
    let record: KeyRecord | null;
    try {
      record = await load(hash);
    } catch {
      return UNAVAILABLE;
    }
    if (!record) {
      unknown.set(hash, true);
      return INVALID;
    }
    const { deadAt, epoch } = await batch.readKeyState(record.id);
    // Cache only what was read while the epoch held; otherwise the next request re-reads.
    if (epoch !== null && epoch === filledUnder) known.set(hash, record);
    return applyMarkerAndCheck(record, deadAt, nowMs);
  }

  return {
    /**
     * Synchronous first step: null for a malformed key (typos, other providers' keys, made-up
     * strings: no I/O at all), else its hash and, when this process holds it, its cached record, so
     * the caller can start work that needs the key's id (its rate limit) in the same Redis round trip.
     */
    present(secret: string): PresentedKey | null {
      if (!isWellFormedApiKey(secret)) return null;
      const hash = hashSecret(secret);
      return { hash, cached: known.get(hash), epoch: cacheEpoch };
    },

    async check(presented: PresentedKey, now: Date): Promise<KeyCheck> {
      const { hash, cached } = presented;
      const nowMs = now.getTime();
      // Revocation and expiry are final: once seen, the key is refused without asking anyone. (A
      // disabled account is not: enabling it again bumps the epoch, which the marker read below notices.)
      if (cached && !cached.accountDisabled && !isKeyLive(cached, nowMs)) return INVALID;
      if (!cached && unknown.has(hash)) return INVALID;
      if (!batch.ready()) return checkAgainstPostgres(hash, nowMs);
      try {
        return await checkWithRedis(presented, nowMs);
      } catch (err) {
        warn("key markers unreadable in Redis; checking keys against PostgreSQL", err);
        return checkAgainstPostgres(hash, nowMs);
      }
    },
    /** For tests and diagnostics: how many records this process holds. */
    get cachedKeys(): number {
      return known.size;
    },
  };
}
