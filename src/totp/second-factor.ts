import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { AccountRow } from "../accounts/accounts.js";
import type { Db } from "../db/client.js";
import { accounts } from "../db/schema.js";
import { useRecoveryCode } from "./recovery-codes.js";
import { openTotpSecret } from "./secret-box.js";
import { matchTotpStep } from "./totp-codes.js";

export type SecondFactorProof = { code: string } | { recoveryCode: string };

export type SecondFactorCheck =
  | { ok: true; via: "totp" | "recovery_code" }
  | { ok: false; reason: "invalid_code" | "unavailable" };

/**
 * Checks a code from the authenticator app or a recovery code, and uses it up. A TOTP code is taken
 * only for a time step newer than the last one accepted (a conditional update, so two requests with
 * one code cannot both pass): a code seen once, or any code older than it, never works again.
 * "unavailable": the secret cannot be opened (TOTP_ENCRYPTION_KEY missing or changed).
 */
export async function useSecondFactor(
  db: Pick<Db, "update">,
  input: { account: AccountRow; proof: SecondFactorProof; totpKey: Buffer | undefined; now: Date },
): Promise<SecondFactorCheck> {
  const { account, proof, now } = input;
  if (!account.totpSecret) return { ok: false, reason: "invalid_code" };
  if ("recoveryCode" in proof) {
    const used = await useRecoveryCode(db, account.id, proof.recoveryCode, now);
    return used ? { ok: true, via: "recovery_code" } : { ok: false, reason: "invalid_code" };
  }
  if (!input.totpKey) return { ok: false, reason: "unavailable" };
  const secret = openTotpSecret(input.totpKey, account.id, account.totpSecret);
  if (!secret) return { ok: false, reason: "unavailable" };
  const step = matchTotpStep(secret, proof.code.trim(), now);
  if (step === null) return { ok: false, reason: "invalid_code" };
  const claimed = await db
    .update(accounts)
    .set({ totpLastStep: step })
    .where(
      and(eq(accounts.id, account.id), or(isNull(accounts.totpLastStep), lt(accounts.totpLastStep, step))),
    )
    .returning({ id: accounts.id });
  return claimed.length === 1 ? { ok: true, via: "totp" } : { ok: false, reason: "invalid_code" };
}
