import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import { parseModelField, pendingUsageKey, USAGE_COUNTERS, type UsageCounter } from "./buffer.js";

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

interface KeyUsage {
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
  if (stats.resumed) deps.logger.info({ batchId }, "working on a usage batch handed over by an earlier run");

  await options.afterHandOver?.();
  const usage = await readBatch(deps, usageBatchKey(prefix, batchId));
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
    const applied = await applyBatch(deps, `${batchId}:${n}`, slice, usage);
    stats.statements++;
    if (applied) stats.appliedBatches++;
    else stats.skippedBatches++;
  }
  failIfAsked();
  await deps.redis.eval(RELEASE, 2, processingUsageKey(prefix), usageBatchKey(prefix, batchId), batchId);
  if (stats.keys > 0) deps.logger.info(stats, "usage flushed");
  return stats;
}

/** HSCAN rather than HGETALL so that a large buffer never blocks Redis for long. */
async function readBatch(deps: FlushDeps, key: string): Promise<Map<string, KeyUsage>> {
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

/**
 * One statement: claim the batch id, and only if the claim is new, move last_used_at forward (never
 * back: GREATEST ignores a NULL) and add the day counts and the per-model counts. Keys deleted meanwhile are skipped rather than
 * failing the batch: FOR KEY SHARE waits for a concurrent delete and then leaves the row out.
 */
async function applyBatch(
  deps: FlushDeps,
  id: string,
  keyIds: string[],
  usage: Map<string, KeyUsage>,
): Promise<boolean> {
  const touched: { key_id: string; used_at: string }[] = [];
  const counts: { key_id: string; day: string; requests: number }[] = [];
  const byModel: Array<Record<string, string | number>> = [];
  for (const keyId of keyIds) {
    const u = usage.get(keyId) as KeyUsage;
    if (u.lastUsedMs !== null) touched.push({ key_id: keyId, used_at: new Date(u.lastUsedMs).toISOString() });
    for (const [day, requests] of u.days) counts.push({ key_id: keyId, day, requests });
    for (const [slot, counters] of u.models) {
      const row: Record<string, string | number> = {
        key_id: keyId,
        day: slot.slice(0, 10),
        model: slot.slice(11),
      };
      for (const [letter, column] of Object.entries(USAGE_COUNTERS)) {
        row[column] = counters[letter as UsageCounter] ?? 0;
      }
      byModel.push(row);
    }
  }
  // The batch travels as JSON parameters: postgres.js cannot type sql.array() on a connection's first
  // query, and jsonb_to_recordset gives the same set-based plan as unnest.
  const sql = deps.database.sql;
  const [row] = await sql<{ claimed: number }[]>`
    with claimed as (
      insert into usage_flush_batches (id, applied_at) values (${id}, ${deps.clock.now().toISOString()})
      on conflict (id) do nothing
      returning id
    ),
    live as (
      select id from api_keys
      where id in (select jsonb_array_elements_text(${JSON.stringify(keyIds)}::jsonb))
        and exists (select 1 from claimed)
      for key share
    ),
    touched as (
      update api_keys k set last_used_at = greatest(k.last_used_at, u.used_at)
      from jsonb_to_recordset(${JSON.stringify(touched)}::jsonb) as u(key_id text, used_at timestamptz)
      where k.id = u.key_id and k.id in (select id from live)
      returning k.id
    ),
    counted as (
      insert into key_usage_daily (key_id, day, requests)
      select c.key_id, c.day, c.requests
      from jsonb_to_recordset(${JSON.stringify(counts)}::jsonb) as c(key_id text, day date, requests bigint)
      where c.key_id in (select id from live)
      on conflict (key_id, day) do update set requests = key_usage_daily.requests + excluded.requests
      returning key_id
    ),
    modelled as (
      insert into key_model_usage_daily as t (key_id, day, model, answered, refused, upstream_errors,
                                              prompt_tokens, completion_tokens, requests_without_usage)
      select m.key_id, m.day, m.model, m.answered, m.refused, m.upstream_errors,
             m.prompt_tokens, m.completion_tokens, m.requests_without_usage
      from jsonb_to_recordset(${JSON.stringify(byModel)}::jsonb) as m(
        key_id text, day date, model text, answered bigint, refused bigint, upstream_errors bigint,
        prompt_tokens bigint, completion_tokens bigint, requests_without_usage bigint)
      where m.key_id in (select id from live)
      on conflict (key_id, day, model) do update set
        answered = t.answered + excluded.answered,
        refused = t.refused + excluded.refused,
        upstream_errors = t.upstream_errors + excluded.upstream_errors,
        prompt_tokens = t.prompt_tokens + excluded.prompt_tokens,
        completion_tokens = t.completion_tokens + excluded.completion_tokens,
        requests_without_usage = t.requests_without_usage + excluded.requests_without_usage
      returning key_id
    )
    select (select count(*) from claimed)::int as claimed,
           (select count(*) from touched)::int as touched,
           (select count(*) from counted)::int as counted,
           (select count(*) from modelled)::int as modelled`;
  return (row?.claimed ?? 0) > 0;
}
