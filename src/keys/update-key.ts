import { and, eq, isNull } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { isAboveTier } from "../tiers/tiers.js";
import { findApiKey } from "./key-queries.js";
import type { ApiKeyRow } from "./key-view.js";
import { type KeyChangeDeps, KeyChangeUnpublished, publishKeyChange } from "./publish-key-change.js";

export type UpdateKeyResult =
  | { ok: true; key: ApiKeyRow }
  | { ok: false; reason: "not_found" | "revoked" | "unavailable"; cause?: unknown }
  | { ok: false; reason: "above_tier_token_limit"; tierLimit: number };

/**
 * Renames a key, changes the models it may use and/or its own token limit (null: the tier's; never
 * above the tier's), unless it is revoked (a revoked key is frozen), with one audit event per change,
 * atomically. Web processes cache key records, models and limits included: such a change is published
 * before the commit (publish-key-change.ts), so the very next /v1 request is checked against it; if
 * that cannot be done, nothing changes.
 */
export async function updateApiKey(
  deps: { db: Db } & KeyChangeDeps,
  input: {
    accountId: string;
    keyId: string;
    name?: string;
    models?: string[] | null;
    tokenLimitPerMinute?: number | null;
    /** The account tier's tokens per minute, the most a key's own limit may be. */
    tierTokenLimit: number;
    now: Date;
    context: AuditContext;
    signal?: AbortSignal;
  },
): Promise<UpdateKeyResult> {
  const tokenLimit = input.tokenLimitPerMinute;
  if (isAboveTier(tokenLimit, input.tierTokenLimit)) {
    return { ok: false, reason: "above_tier_token_limit", tierLimit: input.tierTokenLimit };
  }
  try {
    return await deps.db.transaction(async (tx): Promise<UpdateKeyResult> => {
      const changes: Partial<Pick<ApiKeyRow, "name" | "models" | "tokenLimitPerMinute">> = {};
      if (input.name !== undefined) changes.name = input.name;
      if (input.models !== undefined) changes.models = input.models;
      if (tokenLimit !== undefined) changes.tokenLimitPerMinute = tokenLimit;
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
      if (input.models !== undefined) await recordAuditEvent(tx, { ...audit, action: "key.models_changed" });
      if (tokenLimit !== undefined)
        await recordAuditEvent(tx, { ...audit, action: "key.token_limit_changed" });
      // The gateway's cached record holds the models and the token limit, not the name.
      if (input.models !== undefined || tokenLimit !== undefined) {
        await publishKeyChange(tx, deps, [key.id], { signal: input.signal });
      }
      return { ok: true, key };
    });
  } catch (err) {
    if (err instanceof KeyChangeUnpublished) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
