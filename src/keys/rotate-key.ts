import { and, eq } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Tx } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { insertKey, lockAccount } from "./create-key.js";
import { countActiveKeys } from "./key-queries.js";
import { MAX_ACTIVE_KEYS } from "./key-schemas.js";
import { type ApiKeyRow, keyStatus } from "./key-view.js";
import type { Permission } from "./permissions.js";
import { type KeyChangeDeps, publishKeyChange } from "./publish-key-change.js";

export type RotateResult =
  | { ok: true; key: ApiKeyRow; secret: string; previous: ApiKeyRow }
  | {
      ok: false;
      reason: "not_found" | "revoked" | "expired" | "already_rotated" | "key_limit";
    };

/** When the previous key stops: the end of the grace period, but never later than its own expiry. */
export function previousKeyDeadline(
  previous: Pick<ApiKeyRow, "expiresAt">,
  now: Date,
  graceSeconds: number,
): Date {
  const graceEnd = now.getTime() + graceSeconds * 1000;
  const own = previous.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return new Date(Math.min(own, graceEnd));
}

/**
 * Replaces a live key with a new one (same name, permissions, models, rate limit and expiry, rotated_from set)
 * and shortens the old key's life to the grace period. Counted against the active-key limit: the old
 * key still counts while its grace period runs. The audit event names the old key, the one acted on;
 * the new key points back to it through rotated_from.
 *
 * Runs in the caller's transaction (an idempotent request's: src/idempotency/answer-once.ts), which
 * must roll back unless the result is ok. A refusal comes before any write; a change that could not be
 * published to Redis comes after them and throws KeyChangeUnpublished, so that it cannot be committed.
 */
export async function rotateApiKey(
  tx: Tx,
  deps: KeyChangeDeps,
  input: {
    accountId: string;
    keyId: string;
    graceSeconds: number;
    now: Date;
    context: AuditContext;
    signal?: AbortSignal;
  },
): Promise<RotateResult> {
  await lockAccount(tx, input.accountId);
  const [old] = await tx
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, input.keyId), eq(apiKeys.accountId, input.accountId)))
    .for("update");
  if (!old) return { ok: false, reason: "not_found" };
  const status = keyStatus(old, input.now);
  if (status !== "active") return { ok: false, reason: status };
  // One successor per key: a repeated call (a double click, a client retry) must not mint a second
  // secret that nobody keeps. The row lock above serialises concurrent rotations of this key.
  const [successor] = await tx
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.rotatedFrom, old.id), eq(apiKeys.accountId, input.accountId)))
    .limit(1);
  if (successor) return { ok: false, reason: "already_rotated" };

  const deadline = previousKeyDeadline(old, input.now, input.graceSeconds);
  const oldStaysActive = deadline.getTime() > input.now.getTime();
  const activeNow = await countActiveKeys(tx, input.accountId, input.now);
  // After the rotation: the others, the new key, and the old one while its grace period runs.
  if (activeNow + (oldStaysActive ? 1 : 0) > MAX_ACTIVE_KEYS) return { ok: false, reason: "key_limit" };

  const { key, secret } = await insertKey(tx, {
    accountId: input.accountId,
    name: old.name,
    permissions: old.permissions as Permission[],
    expiresAt: old.expiresAt,
    rateLimitPerMinute: old.rateLimitPerMinute,
    tokenLimitPerMinute: old.tokenLimitPerMinute,
    models: old.models,
    rotatedFrom: old.id,
    now: input.now,
  });
  const [previous] = await tx
    .update(apiKeys)
    .set({ expiresAt: deadline })
    .where(eq(apiKeys.id, old.id))
    .returning();
  if (!previous) throw new Error("rotated key vanished inside its transaction");
  await recordAuditEvent(tx, {
    accountId: input.accountId,
    action: "key.rotated",
    keyId: old.id,
    at: input.now,
    ...input.context,
  });
  // Last write to the keys before the commit, as for a revocation: caches elsewhere must learn the new
  // deadline. (An idempotent request then writes its answer into its own row, which nothing else
  // waits on, and checks its deadline again: the COMMIT still follows the marker at once.)
  // Throws KeyChangeUnpublished when Redis does not take the marker: this function's caller owns the
  // transaction, and a refusal returned after these writes could be committed by mistake.
  await publishKeyChange(tx, deps, [old.id], { deadAt: deadline, signal: input.signal });
  return { ok: true, key, secret, previous };
}
