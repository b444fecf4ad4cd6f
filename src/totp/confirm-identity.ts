import type { AbuseLimits } from "../accounts/abuse-limits.js";
import type { AccountRow } from "../accounts/accounts.js";
import { confirmPassword } from "../accounts/reauthenticate.js";
import type { Db } from "../db/client.js";
import { asLoginAttempt } from "./code-attempts.js";
import { isRecoveryCodeShape } from "./recovery-codes.js";
import { useSecondFactor } from "./second-factor.js";

export interface IdentityDeps {
  db: Db;
  limits: AbuseLimits;
  totpKey: Buffer | undefined;
  now: Date;
}

export interface IdentityProof {
  account: AccountRow;
  password: string;
  code: string | undefined;
  /** The client's address, for the login failure limits the proof counts towards. */
  ip: string;
}

export type IdentityCheck =
  | { ok: true }
  | { ok: false; reason: "invalid_credentials" | "invalid_code" | "unavailable" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

export type IdentityRefusal = Exclude<IdentityCheck, { ok: true }>;

/**
 * What a signed-in person proves again before an irreversible change (deleting the account, turning
 * the second factor off): the password, then, while the account has a second factor, a code or a
 * recovery code. Both count as login attempts, so a stolen session is no better an oracle for either
 * than the login form; the code is asked only once the password is right, and used up when it is. As
 * at the login, the right password leaves the count as it is and only the accepted code clears it.
 */
export async function confirmPasswordAndCode(
  deps: IdentityDeps,
  input: IdentityProof,
): Promise<IdentityCheck> {
  const { account, ip } = input;
  const checked = await confirmPassword(deps.limits, { account, password: input.password, ip });
  if (!checked.ok) return checked;
  if (!account.totpEnabledAt) return { ok: true };
  const given = input.code;
  if (!given) return { ok: false, reason: "invalid_code" };
  const proof = isRecoveryCodeShape(given) ? { recoveryCode: given } : { code: given };
  const used = await asLoginAttempt(deps.limits, { email: account.email, ip }, () =>
    useSecondFactor(deps.db, { account, proof, totpKey: deps.totpKey, now: deps.now }),
  );
  return used.ok ? { ok: true } : used;
}
