import { and, eq, isNull } from "drizzle-orm";
import { recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import {
  accounts,
  apiKeys,
  auditEvents,
  emailTokens,
  loginChallenges,
  recoveryCodes,
  sessions,
} from "../db/schema.js";
import { type KeyChangeDeps, KeyChangeUnpublished, publishKeyChange } from "../keys/publish-key-change.js";

// What deleting an account removes, and what it keeps:
// - removed: the email address and password hash (the row keeps an unusable placeholder), the second
//   factor and recovery codes, pending email change, sessions, login challenges, email tokens, the
//   names people gave their keys, and the IP addresses and user agents in the account's audit events;
// - kept: the account's id and creation time, its keys' ids and hashes (revoked, so that a leaked key
//   keeps being refused and recognised), daily request counts, and the audit events without their
//   addresses, the last one being account.deleted. None of that names or locates a person.
// The row stays because audit events belong to it: deleting it would take the trail along.

export type DeleteAccountResult =
  | { ok: true; email: string; revokedKeyIds: string[] }
  | { ok: false; reason: "not_found" | "unavailable"; cause?: unknown };

export const DELETED_KEY_NAME = "(deleted)";

export function placeholderEmail(accountId: string): string {
  return `deleted-${accountId}@deleted.invalid`;
}

/**
 * Deletes an account in one transaction. Its keys are revoked and the change published before the
 * commit (keys/publish-key-change.ts), as a revocation does, so that every web process refuses them
 * from the moment this returns; if Redis cannot take it, nothing is deleted ("unavailable").
 */
export async function deleteAccount(
  deps: { db: Db } & KeyChangeDeps,
  input: { accountId: string; now: Date; signal?: AbortSignal },
): Promise<DeleteAccountResult> {
  const { accountId, now } = input;
  try {
    return await deps.db.transaction(async (tx): Promise<DeleteAccountResult> => {
      const [account] = await tx
        .select({ email: accounts.email })
        .from(accounts)
        .where(and(eq(accounts.id, accountId), isNull(accounts.deletedAt)))
        .for("update");
      if (!account) return { ok: false, reason: "not_found" };
      const revoked = await tx
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      await tx.update(apiKeys).set({ name: DELETED_KEY_NAME }).where(eq(apiKeys.accountId, accountId));
      await tx.delete(sessions).where(eq(sessions.accountId, accountId));
      await tx.delete(loginChallenges).where(eq(loginChallenges.accountId, accountId));
      await tx.delete(emailTokens).where(eq(emailTokens.accountId, accountId));
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId));
      await tx
        .update(auditEvents)
        .set({ ip: null, userAgent: null })
        .where(eq(auditEvents.accountId, accountId));
      await tx
        .update(accounts)
        .set({
          email: placeholderEmail(accountId),
          // Not an argon2 hash: verification fails on it, whatever is typed.
          passwordHash: "!deleted",
          emailVerifiedAt: null,
          totpSecret: null,
          totpPendingSecret: null,
          totpEnabledAt: null,
          totpLastStep: null,
          pendingEmail: null,
          newSigninEmails: false,
          disabledAt: now,
          deletedAt: now,
          updatedAt: now,
        })
        .where(eq(accounts.id, accountId));
      await recordAuditEvent(tx, {
        accountId,
        action: "account.deleted",
        ip: null,
        userAgent: null,
        at: now,
      });
      // Last before the commit, as in revokeApiKey.
      await publishKeyChange(
        tx,
        deps,
        revoked.map((k) => k.id),
        { deadAt: now, signal: input.signal },
      );
      return { ok: true, email: account.email, revokedKeyIds: revoked.map((k) => k.id) };
    });
  } catch (err) {
    if (err instanceof KeyChangeUnpublished) return { ok: false, reason: "unavailable", cause: err.cause };
    throw err;
  }
}
