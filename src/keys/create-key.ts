import { eq } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Tx } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, apiKeys } from "../db/schema.js";
import { generateApiKey } from "../secrets/secrets.js";
import { isAboveTier, type TierCeilings } from "../tiers/tiers.js";
import { countActiveKeys } from "./key-queries.js";
import { MAX_ACTIVE_KEYS } from "./key-schemas.js";
import type { ApiKeyRow } from "./key-view.js";
import type { Permission } from "./permissions.js";

export interface NewKeyInput {
  accountId: string;
  name: string;
  permissions: Permission[];
  expiresAt: Date | null;
  rateLimitPerMinute: number | null;
  tokenLimitPerMinute: number | null;
  /** The model ids the key may use; null for every model. */
  models: string[] | null;
  rotatedFrom?: string | null;
  now: Date;
}

export type CreateKeyResult =
  | { ok: true; key: ApiKeyRow; secret: string }
  | { ok: false; reason: "key_limit" | "expiry_not_in_future" }
  | { ok: false; reason: "above_tier_limit" | "above_tier_token_limit"; tierLimit: number };

/**
 * Locks the account row for the rest of the transaction. Two concurrent creations for one account
 * would otherwise both count 99 active keys and both insert; with the lock the second one waits for
 * the first to commit and then counts 100.
 */
export async function lockAccount(tx: Tx, accountId: string): Promise<void> {
  // FOR NO KEY UPDATE, not FOR UPDATE: key writers still queue behind each other, but the KEY SHARE lock
  // a row referring to the account takes (an Idempotency-Key's claim, inserted first) does not conflict
  // with it, so two writers that each hold one never wait for each other (a deadlock).
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for("no key update");
}

/** Inserts a key row with a fresh secret; only the secret's SHA-256 is stored. */
export async function insertKey(tx: Tx, input: NewKeyInput): Promise<{ key: ApiKeyRow; secret: string }> {
  const { secret, hash, last4 } = generateApiKey();
  const [key] = await tx
    .insert(apiKeys)
    .values({
      id: newId("key", input.now.getTime()),
      accountId: input.accountId,
      name: input.name,
      keyHash: hash,
      last4,
      permissions: input.permissions,
      rateLimitPerMinute: input.rateLimitPerMinute,
      tokenLimitPerMinute: input.tokenLimitPerMinute,
      models: input.models,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      rotatedFrom: input.rotatedFrom ?? null,
    })
    .returning();
  if (!key) throw new Error("api key insert returned no row");
  return { key, secret };
}

/**
 * Creates a key, audited atomically, unless it would expire at once, its own request or token limit
 * is above its account tier's (`tierLimits`), or the account already has the maximum of active keys.
 * Runs in the caller's transaction (an idempotent request's: src/idempotency/answer-once.ts).
 */
export async function createApiKey(
  tx: Tx,
  input: NewKeyInput & {
    tierLimits: TierCeilings;
    context: AuditContext;
  },
): Promise<CreateKeyResult> {
  const { requestsPerMinute, tokensPerMinute } = input.tierLimits;
  if (input.expiresAt && input.expiresAt.getTime() <= input.now.getTime()) {
    return { ok: false, reason: "expiry_not_in_future" };
  }
  if (isAboveTier(input.rateLimitPerMinute, requestsPerMinute)) {
    return { ok: false, reason: "above_tier_limit", tierLimit: requestsPerMinute };
  }
  if (isAboveTier(input.tokenLimitPerMinute, tokensPerMinute)) {
    return { ok: false, reason: "above_tier_token_limit", tierLimit: tokensPerMinute };
  }
  await lockAccount(tx, input.accountId);
  if ((await countActiveKeys(tx, input.accountId, input.now)) >= MAX_ACTIVE_KEYS) {
    return { ok: false, reason: "key_limit" };
  }
  const { key, secret } = await insertKey(tx, input);
  await recordAuditEvent(tx, {
    accountId: input.accountId,
    action: "key.created",
    keyId: key.id,
    at: input.now,
    ...input.context,
  });
  return { ok: true, key, secret };
}
