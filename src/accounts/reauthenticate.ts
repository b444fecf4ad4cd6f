import type { AbuseLimits } from "./abuse-limits.js";
import type { AccountRow } from "./accounts.js";
import { verifyPassword } from "./passwords.js";

export type ReauthResult =
  | { ok: true }
  | { ok: false; reason: "invalid_credentials" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

/**
 * The password of a signed-in account, asked again before a sensitive change. It shares the login's
 * failure limits, so a stolen session is no more of a password oracle than the login form. As at the
 * login, a right password clears the count only while the account has no second factor: with one, only
 * an accepted code does (totp/code-attempts.ts), and the right password's own attempt is given back.
 * Clearing would let "right password, wrong code", repeated on a re-authentication (or a right
 * password here between wrong codes at the login), reset the count every time, so that codes could be
 * guessed without end; keeping it would let changes that ask no code pile up against the owner.
 */
export async function confirmPassword(
  limits: AbuseLimits,
  input: { account: AccountRow; password: string; ip: string },
): Promise<ReauthResult> {
  const blockedFor = await limits.beginLoginAttempt(input.account.email, input.ip);
  if (blockedFor !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: blockedFor };
  const verified = await verifyPassword(input.account.passwordHash, input.password);
  if (!verified.ok) return { ok: false, reason: "invalid_credentials" };
  // With two-factor on, the attempt is only given back: a change that asks no code (password, email)
  // must not pile up against the owner, and one that does leaves the code to be counted.
  if (input.account.totpEnabledAt) await limits.loginAttemptGivenBack(input.account.email, input.ip);
  else await limits.loginSucceeded(input.account.email, input.ip);
  return { ok: true };
}
