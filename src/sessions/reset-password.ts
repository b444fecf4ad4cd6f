import { accountForResetToken, setPasswordWithResetToken } from "../accounts/email-tokens.js";
import { hashPassword, passwordProblem } from "../accounts/passwords.js";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { retireWhatOldPasswordOpened } from "./password-replaced.js";
import { invalidateAccountSessions } from "./sessions.js";

export type ResetPasswordResult =
  | { ok: true }
  | { ok: false; reason: "invalid_token" }
  | { ok: false; reason: "weak_password"; problem: string };

/**
 * Sets a new password with the token from a reset email. The password rules are checked before the
 * token is used, so a refused password leaves the link working; the token is then used, the hash
 * stored, every session of the account ended, the other links and challenges the old password opened
 * retired (password-replaced.ts) and the audit row written, in one transaction.
 */
export async function resetPassword(
  deps: { db: Db; now: Date },
  input: { token: string; password: string; signal?: AbortSignal } & AuditContext,
): Promise<ResetPasswordResult> {
  const account = await accountForResetToken(deps.db, input.token, deps.now);
  if (!account) return { ok: false, reason: "invalid_token" };
  const problem = passwordProblem(input.password, account.email);
  if (problem) return { ok: false, reason: "weak_password", problem };

  const passwordHash = await hashPassword(input.password);
  const done = await deps.db.transaction(async (tx) => {
    const accountId = await setPasswordWithResetToken(tx, {
      token: input.token,
      passwordHash,
      now: deps.now,
    });
    if (!accountId) return false;
    await invalidateAccountSessions(tx, accountId);
    await retireWhatOldPasswordOpened(tx, { accountId, now: deps.now });
    await recordAuditEvent(tx, {
      accountId,
      action: "password.reset",
      ip: input.ip,
      userAgent: input.userAgent,
      at: deps.now,
    });
    // Answered 503 at its deadline: the link must still work for the retry.
    input.signal?.throwIfAborted();
    return true;
  });
  return done ? { ok: true } : { ok: false, reason: "invalid_token" };
}
