import { and, eq, isNull } from "drizzle-orm";
import type { Redis } from "ioredis";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { findApiKey } from "./key-queries.js";
import { markKeyDeadAt } from "./key-state.js";
import type { ApiKeyRow } from "./key-view.js";

/** Raised inside a transaction when the dead-at marker could not be written, so that it rolls back. */
export class KeyMarkerUnavailable extends Error {
  constructor(cause: unknown) {
    super("could not publish the key's dead-at marker to Redis", { cause });
    this.name = "KeyMarkerUnavailable";
  }
}

/**
 * Publishes that a key stops working at `atMs`, for every web process's cache. It runs inside the
 * PostgreSQL transaction, before the commit: if Redis refuses it, the change is rolled back rather
 * than reported done while another process could still accept the key.
 */
export async function publishKeyDeadAt(
  redis: Redis,
  redisPrefix: string,
  keyId: string,
  atMs: number,
): Promise<void> {
  try {
    await markKeyDeadAt(redis, redisPrefix, keyId, atMs);
  } catch (err) {
    throw new KeyMarkerUnavailable(err);
  }
}

export type RevokeResult =
  | { ok: true; key: ApiKeyRow; changed: boolean }
  | { ok: false; reason: "not_found" | "unavailable"; cause?: unknown };

/**
 * Revokes a key, once: the conditional update changes only a live row, so a second call (or a
 * concurrent one, which waits on the row lock) finds nothing to change and returns the key with its
 * original revoked_at. The audit event is written only for the call that changed it.
 */
export async function revokeApiKey(
  deps: { db: Db; redis: Redis; redisPrefix: string },
  input: { accountId: string; keyId: string; now: Date; context: AuditContext; signal?: AbortSignal },
): Promise<RevokeResult> {
  try {
    return await deps.db.transaction(async (tx): Promise<RevokeResult> => {
      const [revoked] = await tx
        .update(apiKeys)
        .set({ revokedAt: input.now })
        .where(
          and(eq(apiKeys.id, input.keyId), eq(apiKeys.accountId, input.accountId), isNull(apiKeys.revokedAt)),
        )
        .returning();
      if (!revoked) {
        const existing = await findApiKey(tx, input.accountId, input.keyId);
        return existing ? { ok: true, key: existing, changed: false } : { ok: false, reason: "not_found" };
      }
      await recordAuditEvent(tx, {
        accountId: input.accountId,
        action: "key.revoked",
        keyId: revoked.id,
        at: input.now,
        ...input.context,
      });
      // Last before the commit: every other write has succeeded, so the marker never outlives a rollback.
      await publishKeyDeadAt(deps.redis, deps.redisPrefix, revoked.id, input.now.getTime());
      // A call already answered (503, its deadline passed) must not change the key after all.
      input.signal?.throwIfAborted();
      return { ok: true, key: revoked, changed: true };
    });
  } catch (err) {
    if (err instanceof KeyMarkerUnavailable) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
