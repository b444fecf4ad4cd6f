import { and, eq, isNull } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { findApiKey } from "./key-queries.js";
import type { ApiKeyRow } from "./key-view.js";
import { type KeyChangeDeps, KeyChangeUnpublished, publishKeyChange } from "./publish-key-change.js";

export type RevokeResult =
  | { ok: true; key: ApiKeyRow; changed: boolean }
  | { ok: false; reason: "not_found" | "unavailable"; cause?: unknown };

/**
 * Revokes a key, once: the conditional update changes only a live row, so a second call (or a
 * concurrent one, which waits on the row lock) finds nothing to change and returns the key with its
 * original revoked_at. The audit event is written only for the call that changed it.
 */
export async function revokeApiKey(
  deps: { db: Db } & KeyChangeDeps,
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
      // Last before the commit: every process re-reads the key before its next request is let through.
      await publishKeyChange(tx, deps, [revoked.id], { deadAt: input.now, signal: input.signal });
      return { ok: true, key: revoked, changed: true };
    });
  } catch (err) {
    if (err instanceof KeyChangeUnpublished) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
