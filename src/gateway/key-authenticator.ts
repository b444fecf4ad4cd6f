import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Database } from "../db/client.js";
import { epochKey, type KeyChangeMarker, parseKeyChangeMarker } from "../keys/key-state.js";
import { keyRecordIsCurrent } from "../keys/publish-key-change.js";
import type { Logger } from "../logging/logger.js";
import { hashSecret, isWellFormedApiKey } from "../secrets/secrets.js";
import type { TierLimitsConfig } from "../tiers/tiers.js";
import { withTimeout } from "../time/with-timeout.js";
import type { HotPathBatch, KeyState } from "./hot-path-batch.js";
import { findKeyRecordByHash, isKeyLive, type KeyRecord } from "./key-records.js";

// Whether a presented key may be used, with no PostgreSQL query in steady state: records are cached
// by key hash (unknown hashes for a few seconds, so made-up keys cannot make every request hit
// PostgreSQL), and every request reads the key's change marker and the shared epoch in the per-turn
// script. A change to a key publishes its marker before it commits; a record read before the marker
// says it may have changed is read again (keys/publish-key-change.ts); a lost or changed epoch drops
// the cache. Without Redis keys are checked against PostgreSQL; without PostgreSQL cached keys still
// work, except one whose marker says it changed since it was read: refused, as invalid if the change
// stops it (the marker says when), else as unavailable.

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
    tierLimits: TierLimitsConfig;
  },
  options: KeyAuthenticatorOptions = {},
) {
  const { database, batch, logger, tierLimits } = deps;
  const redis = batch.redis;
  const prefix = deps.redisPrefix;
  const maxEntries = options.maxEntries ?? 50_000;
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 2_000;
  const known = new LRUCache<string, KeyRecord>({ max: maxEntries });
  const unknown = new LRUCache<string, true>({ max: maxEntries, ttl: options.unknownKeyTtlMs ?? 5_000 });
  const inflight = new Map<string, { promise: Promise<KeyRecord | null>; startedAtMs: number }>();
  let cacheEpoch: string | null = null;
  const warnings = new Map<string, number>();

  function warn(kind: string, err: unknown): void {
    // At most one line per kind every 10 s: an outage must not flood the log at request rate.
    const last = warnings.get(kind) ?? 0;
    if (Date.now() - last < 10_000) return;
    warnings.set(kind, Date.now());
    logger.warn({ err }, kind);
  }

  /**
   * One PostgreSQL read per key, however many requests miss at once; bounded in time. A request joins
   * a read only if it began after the request arrived (`arrivedAtMs`): an older read may predate a
   * change committed, and answered, before this request came in.
   */
  function load(hash: string, arrivedAtMs: number): Promise<KeyRecord | null> {
    const running = inflight.get(hash);
    if (running && running.startedAtMs >= arrivedAtMs) return running.promise;
    const startedAtMs = Date.now();
    const promise: Promise<KeyRecord | null> = withTimeout(
      findKeyRecordByHash(database.sql, hash, tierLimits),
      lookupTimeoutMs,
    )
      .catch((err) => {
        warn("key look-up in PostgreSQL failed", err);
        throw new PostgresUnavailable();
      })
      .finally(() => {
        if (inflight.get(hash)?.promise === promise) inflight.delete(hash);
      });
    inflight.set(hash, { promise, startedAtMs });
    return promise;
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

  /**
   * The record to judge the key by: `record` itself unless the key's change marker says it may have
   * changed since it was read, and the read began before this request arrived; then PostgreSQL is
   * asked again. Null when the key is gone.
   */
  async function currentRecord(
    hash: string,
    record: KeyRecord,
    marker: KeyChangeMarker | null,
    arrivedAtMs: number,
  ): Promise<KeyRecord | null> {
    if (keyRecordIsCurrent(record.loadedAtMs, marker?.changedAtMs ?? null)) return record;
    if (record.loadedAtMs >= arrivedAtMs) return record;
    return load(hash, arrivedAtMs);
  }

  async function checkAgainstPostgres(hash: string, nowMs: number, arrivedAtMs: number): Promise<KeyCheck> {
    try {
      const record = await load(hash, arrivedAtMs);
      if (!record) {
        unknown.set(hash, true);
        return INVALID;
      }
      return isKeyLive(record, nowMs) ? { ok: true, record } : INVALID;
    } catch {
      return UNAVAILABLE;
    }
  }

  async function checkWithRedis(
    presented: PresentedKey,
    nowMs: number,
    arrivedAtMs: number,
  ): Promise<KeyCheck> {
    const { hash, cached } = presented;
    let record: KeyRecord | null = null;
    let state: KeyState | undefined;
    if (cached) {
      const read = await batch.readKeyState(cached.id);
      // Compared with the epoch the record was taken under, not the current one: another request of
      // the same turn may have adopted a new epoch (and emptied the cache) meanwhile, and this record
      // is from before it. Then it is read again from PostgreSQL below.
      if (read.epoch !== null && read.epoch === presented.epoch) {
        record = cached;
        state = read;
      } else await adoptEpoch(read.epoch);
    } else if (cacheEpoch === null) {
      await adoptEpoch(await redis.get(epochKey(prefix)));
    }
    const filledUnder = cacheEpoch;
    if (!record || !state) {
      try {
        record = await load(hash, arrivedAtMs);
      } catch {
        return UNAVAILABLE;
      }
      if (!record) {
        unknown.set(hash, true);
        return INVALID;
      }
      state = await batch.readKeyState(record.id);
    }
    const marker = state.changedAt === null ? null : parseKeyChangeMarker(state.changedAt);
    let current: KeyRecord | null;
    try {
      current = await currentRecord(hash, record, marker, arrivedAtMs);
    } catch (err) {
      if (!(err instanceof PostgresUnavailable)) throw err;
      // The key changed since it was read and PostgreSQL cannot say how: the change's own stop time
      // decides if it has one (a revocation: 401), else the key is neither accepted nor called invalid.
      return marker?.deadAtMs != null && marker.deadAtMs <= nowMs ? INVALID : UNAVAILABLE;
    }
    if (!current) {
      known.delete(hash);
      return INVALID;
    }
    // Cache only what was read while the epoch held; otherwise the next request re-reads.
    if (state.epoch !== null && state.epoch === filledUnder) known.set(hash, current);
    return isKeyLive(current, nowMs) ? { ok: true, record: current } : INVALID;
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
      // disabled account is not: enabling it again publishes a change, which the marker read notices.)
      if (cached && !cached.accountDisabled && !isKeyLive(cached, nowMs)) return INVALID;
      if (!cached && unknown.has(hash)) return INVALID;
      // Machine time, as change markers are (keys/publish-key-change.ts).
      const arrivedAtMs = Date.now();
      if (!batch.ready()) return checkAgainstPostgres(hash, nowMs, arrivedAtMs);
      try {
        return await checkWithRedis(presented, nowMs, arrivedAtMs);
      } catch (err) {
        warn("key markers unreadable in Redis; checking keys against PostgreSQL", err);
        return checkAgainstPostgres(hash, nowMs, arrivedAtMs);
      }
    },
    /** For tests and diagnostics: how many records this process holds. */
    get cachedKeys(): number {
      return known.size;
    },
  };
}
