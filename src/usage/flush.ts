import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import { applyUsageBatch } from "./apply-usage-batch.js";
import { pendingUsageKey } from "./buffer.js";
import { readUsageBatch } from "./read-usage-batch.js";

// Moves the Redis usage buffer (see buffer.ts) to PostgreSQL without losing or double-counting a use:
//  1. hand-over: one Lua script renames `pending` to a hash of its own, `usage:batch:<id>`, and marks
//     `<id>` as the batch in flight (`usage:processing`), atomically; uses recorded from then on land
//     in a fresh `pending` hash;
//  2. the batch hash is read, sorted by key id and cut into batches of FLUSH_BATCH_SIZE keys, so a rerun
//     over the same (never modified) hash cuts exactly the same batches with the same ids;
//  3. each batch is ONE statement that records `<id>:<n>` in usage_flush_batches and applies its
//     writes only if that id was new, so a batch replayed after a crash is a no-op;
//  4. the batch hash and the in-flight mark are deleted together, only if the mark is still `<id>`.
// A run that finds a batch in flight (its worker died, or another run is on it) works on that batch.
// Because each batch has its own hash, a slow run that reads after a faster one finished and a new
// batch was handed over reads an empty hash, never the new batch under the old batch's ids.

/** Exists while a batch is in flight; holds its id. */
export const processingUsageKey = (prefix: string) => `${prefix}:usage:processing`;
export const usageBatchKey = (prefix: string, batchId: string) => `${prefix}:usage:batch:${batchId}`;

/** Keys per statement. Part of the batch ids' meaning: change it only with no batch in flight. */
export const FLUSH_BATCH_SIZE = 1_000;

export interface FlushDeps {
  database: Database;
  redis: Redis;
  config: Pick<Config, "redisPrefix">;
  logger: Logger;
  clock: Clock;
}

export interface FlushOptions {
  /** For crash tests: throw after this many batch statements, before the hand-over is finished. */
  failAfterBatches?: number;
  /** For race tests: runs after the hand-over, before the batch is read. */
  afterHandOver?: () => Promise<void>;
}

export interface FlushStats {
  /** The batch handed over, or null when the buffer was empty. */
  batchId: string | null;
  /** True when the run worked on a batch that an earlier (or concurrent) run had handed over. */
  resumed: boolean;
  keys: number;
  /** SQL statements executed (one per batch of up to FLUSH_BATCH_SIZE keys). */
  statements: number;
  /** Batches whose writes were applied by this run (the others had been applied before a crash). */
  appliedBatches: number;
  skippedBatches: number;
}

// Returns {0} when there is nothing to flush, {1, id} to resume a batch, {2, id} for a fresh one.
const HAND_OVER = `
local id = redis.call('GET', KEYS[2])
if id then
  return {1, id}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0}
end
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], ARGV[1])
return {2, ARGV[1]}
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1], KEYS[2])
end
return 0
`;

export async function flushUsage(deps: FlushDeps, options: FlushOptions = {}): Promise<FlushStats> {
  const prefix = deps.config.redisPrefix;
  const fresh = `${deps.clock.now().getTime()}-${randomBytes(6).toString("hex")}`;
  const handed = (await deps.redis.eval(
    HAND_OVER,
    3,
    pendingUsageKey(prefix),
    processingUsageKey(prefix),
    usageBatchKey(prefix, fresh),
    fresh,
  )) as [number, string?];
  const stats: FlushStats = {
    batchId: handed[1] ?? null,
    resumed: handed[0] === 1,
    keys: 0,
    statements: 0,
    appliedBatches: 0,
    skippedBatches: 0,
  };
  if (handed[0] === 0 || !stats.batchId) return stats;
  const batchId = stats.batchId;

  await options.afterHandOver?.();
  const usage = await readUsageBatch(deps, usageBatchKey(prefix, batchId));
  const keyIds = [...usage.keys()].sort();
  stats.keys = keyIds.length;
  const failIfAsked = () => {
    if (options.failAfterBatches !== undefined && stats.statements >= options.failAfterBatches) {
      throw new Error(`injected flush failure after ${stats.statements} batch(es)`);
    }
  };
  for (let n = 0; n * FLUSH_BATCH_SIZE < keyIds.length; n++) {
    failIfAsked();
    const slice = keyIds.slice(n * FLUSH_BATCH_SIZE, (n + 1) * FLUSH_BATCH_SIZE);
    const applied = await applyUsageBatch(deps, `${batchId}:${n}`, slice, usage);
    stats.statements++;
    if (applied) stats.appliedBatches++;
    else stats.skippedBatches++;
  }
  failIfAsked();
  await deps.redis.eval(RELEASE, 2, processingUsageKey(prefix), usageBatchKey(prefix, batchId), batchId);
  if (stats.keys > 0) deps.logger.info(stats, "usage flushed");
  return stats;
}
