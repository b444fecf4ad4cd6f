import { and, eq, isNull } from "drizzle-orm";
import type { Redis } from "ioredis";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { findApiKey } from "./key-queries.js";
import { bumpKeysEpoch } from "./key-state.js";
import type { ApiKeyRow } from "./key-view.js";

export type UpdateKeyResult =
  | { ok: true; key: ApiKeyRow }
  | { ok: false; reason: "not_found" | "revoked" | "unavailable"; cause?: unknown };

class CachesNotDropped extends Error {}

/**
 * Renames a key and/or changes the models it may use, unless it is revoked (a revoked key is frozen),
 * with one audit event per change, atomically. Web processes cache key records, models included: a
 * change of models drops every process's cache (the shared epoch) before the commit, so the very next
 * /v1 request is checked against the new list; if that cannot be done, nothing changes.
 */
export async function updateApiKey(
  deps: { db: Db; redis: Redis; redisPrefix: string },
  input: {
    accountId: string;
    keyId: string;
    name?: string;
    models?: string[] | null;
    now: Date;
    context: AuditContext;
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
        try {
          await bumpKeysEpoch(deps.redis, deps.redisPrefix);
        } catch (err) {
          throw new CachesNotDropped("could not drop the cached key records", { cause: err });
        }
      }
      return { ok: true, key };
    });
  } catch (err) {
    if (err instanceof CachesNotDropped) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
