import { and, eq, isNull } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { findApiKey } from "./key-queries.js";
import type { ApiKeyRow } from "./key-view.js";
import { type KeyChangeDeps, KeyChangeUnpublished, publishKeyChange } from "./publish-key-change.js";

export type UpdateKeyResult =
  | { ok: true; key: ApiKeyRow }
  | { ok: false; reason: "not_found" | "revoked" | "unavailable"; cause?: unknown };

/**
 * Renames a key and/or changes the models it may use, unless it is revoked (a revoked key is frozen),
 * with one audit event per change, atomically. Web processes cache key records, models included: a
 * change of models is published before the commit (publish-key-change.ts), so the very next /v1
 * request is checked against the new list; if that cannot be done, nothing changes.
 */
export async function updateApiKey(
  deps: { db: Db } & KeyChangeDeps,
  input: {
    accountId: string;
    keyId: string;
    name?: string;
    models?: string[] | null;
    now: Date;
    context: AuditContext;
    signal?: AbortSignal;
  },
): Promise<UpdateKeyResult> {
  try {
    return await deps.db.transaction(async (tx): Promise<UpdateKeyResult> => {
      const changes: Partial<Pick<ApiKeyRow, "name" | "models">> = {};
      if (input.name !== undefined) changes.name = input.name;
      if (input.models !== undefined) changes.models = input.models;
      const [key] = await tx
        .update(apiKeys)
        .set(changes)
        .where(
          and(eq(apiKeys.id, input.keyId), eq(apiKeys.accountId, input.accountId), isNull(apiKeys.revokedAt)),
        )
        .returning();
      if (!key) {
        const existing = await findApiKey(tx, input.accountId, input.keyId);
        return { ok: false, reason: existing ? "revoked" : "not_found" };
      }
      const audit = { accountId: input.accountId, keyId: key.id, at: input.now, ...input.context };
      if (input.name !== undefined) await recordAuditEvent(tx, { ...audit, action: "key.renamed" });
      if (input.models !== undefined) {
        await recordAuditEvent(tx, { ...audit, action: "key.models_changed" });
        await publishKeyChange(tx, deps, [key.id], { signal: input.signal });
      }
      return { ok: true, key };
    });
  } catch (err) {
    if (err instanceof KeyChangeUnpublished) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
