import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import { retainedSince } from "../idempotency/answer-once.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";

// Deletes rows nobody can use any more, at most PURGE_BATCH rows per statement so that no single
// statement holds locks or bloats WAL for long, looping until a statement deletes fewer than a batch.

export const PURGE_BATCH = 1_000;
/** Applied flush batch ids are only needed while a crashed flush may still be replayed (seconds). */
export const FLUSH_BATCH_RETENTION_DAYS = 7;

export interface PurgeDeps {
  database: Database;
  config: Pick<Config, "sessionIdleHours" | "sessionTtlHours">;
  logger: Logger;
  clock: Clock;
}

export interface PurgeStats {
  sessions: number;
  emailTokens: number;
  loginChallenges: number;
  flushBatches: number;
  idempotencyKeys: number;
  statements: number;
}

const HOUR_MS = 3_600_000;

export async function purgeExpired(
  deps: PurgeDeps,
  options: { batchSize?: number } = {},
): Promise<PurgeStats> {
  const sql = deps.database.sql;
  const limit = options.batchSize ?? PURGE_BATCH;
  const now = deps.clock.now();
  const at = now.toISOString();
  // The same three limits validateSessionToken applies: absolute expiry, TTL from creation, idleness.
  const idleBefore = new Date(now.getTime() - deps.config.sessionIdleHours * HOUR_MS).toISOString();
  const createdBefore = new Date(now.getTime() - deps.config.sessionTtlHours * HOUR_MS).toISOString();
  const batchesBefore = new Date(now.getTime() - FLUSH_BATCH_RETENTION_DAYS * 24 * HOUR_MS).toISOString();
  const answersBefore = retainedSince(now).toISOString();
  const stats: PurgeStats = {
    sessions: 0,
    emailTokens: 0,
    loginChallenges: 0,
    flushBatches: 0,
    idempotencyKeys: 0,
    statements: 0,
  };

  const loop = async (deleteBatch: () => Promise<{ count: number }>): Promise<number> => {
    let total = 0;
    for (;;) {
      const { count } = await deleteBatch();
      stats.statements++;
      total += count;
      if (count < limit) return total;
    }
  };

  stats.sessions = await loop(
    () => sql`
      delete from sessions where id in (
        select id from sessions
        where expires_at <= ${at} or last_used_at <= ${idleBefore} or created_at <= ${createdBefore}
        limit ${limit})`,
  );
  stats.emailTokens = await loop(
    () => sql`
      delete from email_tokens where id in (
        select id from email_tokens where expires_at <= ${at} or used_at is not null limit ${limit})`,
  );
  stats.loginChallenges = await loop(
    () => sql`
      delete from login_challenges where id in (
        select id from login_challenges where expires_at <= ${at} or used_at is not null limit ${limit})`,
  );
  stats.flushBatches = await loop(
    () => sql`
      delete from usage_flush_batches where id in (
        select id from usage_flush_batches where applied_at <= ${batchesBefore} limit ${limit})`,
  );
  // Idempotent answers (sealed secrets among them) are replayed for 24 hours, then go.
  stats.idempotencyKeys = await loop(
    () => sql`
      delete from idempotency_keys where (account_id, key_hash) in (
        select account_id, key_hash from idempotency_keys where created_at <= ${answersBefore} limit ${limit})`,
  );
  deps.logger.info(stats, "purged expired rows");
  return stats;
}
