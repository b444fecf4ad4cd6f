import type { AbuseLimits } from "../accounts/abuse-limits.js";
import { type AccountRow, updatePasswordHash } from "../accounts/accounts.js";
import { hashPassword, passwordProblem } from "../accounts/passwords.js";
import { confirmPassword } from "../accounts/reauthenticate.js";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { retireWhatOldPasswordOpened } from "./password-replaced.js";
import { invalidateAccountSessions } from "./sessions.js";

export type ChangePasswordResult =
  | { ok: true }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number }
  | { ok: false; reason: "wrong_password" }
  | { ok: false; reason: "same_password" }
  | { ok: false; reason: "weak_password"; problem: string };

/**
 * A password change by a logged-in user. A stolen session must not become an online password oracle,
 * so the current password is checked as every re-authentication is (accounts/reauthenticate.ts),
 * against the login's failure limits, which a right one clears only without a second factor. A new
 * password equal to the current one is refused, as consoles do, so that nobody believes a password
 * they kept has been replaced; only once the current one is proven, so the refusal tells nothing to
 * someone without it. The new hash, every other session ended (a thief holding one loses it), the
 * links and challenges the old password opened retired (password-replaced.ts) and the audit row are
 * one transaction.
 */
export async function changePassword(
  deps: { db: Db; limits: AbuseLimits; now: Date },
  input: {
    account: AccountRow;
    keepSessionId: string;
    currentPassword: string;
    newPassword: string;
    /** The address the failure limits count under. */
    limitIp: string;
    signal?: AbortSignal;
  } & AuditContext,
): Promise<ChangePasswordResult> {
  const { account } = input;
  const current = await confirmPassword(deps.limits, {
    account,
    password: input.currentPassword,
    ip: input.limitIp,
  });
  if (!current.ok)
    return current.reason === "rate_limited" ? current : { ok: false, reason: "wrong_password" };
  if (input.newPassword === input.currentPassword) return { ok: false, reason: "same_password" };
  const problem = passwordProblem(input.newPassword, account.email);
  if (problem) return { ok: false, reason: "weak_password", problem };

  const passwordHash = await hashPassword(input.newPassword);
  await deps.db.transaction(async (tx) => {
    await updatePasswordHash(tx, { accountId: account.id, passwordHash, now: deps.now });
    await invalidateAccountSessions(tx, account.id, input.keepSessionId);
    await retireWhatOldPasswordOpened(tx, { accountId: account.id, now: deps.now });
    await recordAuditEvent(tx, {
      accountId: account.id,
      action: "password.changed",
      ip: input.ip,
      userAgent: input.userAgent,
      at: deps.now,
    });
    // Answered 503 at its deadline: the retry must still find the current password in place.
    input.signal?.throwIfAborted();
  });
  return { ok: true };
}
