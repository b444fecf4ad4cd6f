import { and, eq, isNull, sql } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Tx } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { markKeysChanged } from "./key-state.js";

// How a change to keys (revocation, rotation, models, an account disabled, enabled, re-tiered or
// deleted) reaches the record every web process caches, so that the admin call's answer, the row in
// PostgreSQL and the gateway agree in every outcome:
//
// 1. The change is made in one PostgreSQL transaction. Last before its COMMIT, `publishKeyChange`
//    writes each key's change marker in Redis (the time of the change; a later one replaces it). If
//    Redis does not acknowledge it, the transaction rolls back and the caller answers "nothing was
//    changed". A committed change thus always has its marker in Redis already: revocation is
//    immediate on every process.
// 2. A marker is a reason to ask PostgreSQL, never a verdict. A gateway holding a record read before
//    `marker + KEY_CHANGE_SETTLE_MS` reads the key again before using it (keyRecordIsCurrent). A marker
//    whose change was rolled back (Redis acknowledged too late, or a stalled write landed after the
//    call gave up) costs a few re-reads and never refuses a key PostgreSQL says is live.
// 3. The COMMIT follows the marker within KEY_CHANGE_SETTLE_MS: the call checks its deadline right
//    after the marker, and PostgreSQL ends the session (rolling back) should the COMMIT be held on the
//    way for longer than COMMIT_WITHIN_MS. A record read after the settle time is therefore current.
//
// Markers use the machine clock (Date.now), not a request's clock: they order events between processes.

/** How long after its marker a change may still commit, with margin for clocks between machines. */
export const KEY_CHANGE_SETTLE_MS = 15_000;
const COMMIT_WITHIN_MS = 5_000;

/** Raised inside the transaction when the markers could not be written, so that it rolls back. */
export class KeyChangeUnpublished extends Error {
  constructor(cause: unknown) {
    super("could not publish the key change to Redis", { cause });
    this.name = "KeyChangeUnpublished";
  }
}

export interface KeyChangeDeps {
  redis: Redis;
  redisPrefix: string;
}

export interface KeyChangeOptions {
  /** When the change stops the keys (request clock): a gateway that cannot ask PostgreSQL uses it. */
  deadAt?: Date;
  /** The admin call's deadline: a call already answered rolls back instead of committing. */
  signal?: AbortSignal;
}

/**
 * Call inside the transaction that changes the keys, after its last write: publishes the change for
 * every web process, or throws KeyChangeUnpublished (roll back, answer "nothing was changed").
 */
export async function publishKeyChange(
  tx: Tx,
  deps: KeyChangeDeps,
  keyIds: readonly string[],
  options: KeyChangeOptions = {},
): Promise<void> {
  if (keyIds.length === 0) return;
  // Before the marker: from here on, a COMMIT that does not reach PostgreSQL in time ends the session.
  await tx.execute(sql.raw(`set local idle_in_transaction_session_timeout = ${COMMIT_WITHIN_MS}`));
  try {
    const deadAtMs = options.deadAt?.getTime() ?? null;
    await markKeysChanged(deps.redis, deps.redisPrefix, keyIds, Date.now(), deadAtMs);
  } catch (err) {
    throw new KeyChangeUnpublished(err);
  }
  options.signal?.throwIfAborted();
}

/** The account's keys a change of the account reaches (revoked ones are refused for good already). */
export async function unrevokedKeyIds(tx: Tx, accountId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)));
  return rows.map((r) => r.id);
}

/**
 * The gateway's rule: a record read from PostgreSQL at `loadedAtMs` (machine clock, taken when the
 * read began) may be used as it is unless the key's change marker says it may have changed since.
 */
export function keyRecordIsCurrent(loadedAtMs: number, changedAtMs: number | null): boolean {
  return changedAtMs === null || loadedAtMs >= changedAtMs + KEY_CHANGE_SETTLE_MS;
}
