import type { AbuseLimits } from "../accounts/abuse-limits.js";
import type { AccountRow } from "../accounts/accounts.js";
import { type DeleteAccountResult, deleteAccount } from "../accounts/delete-account.js";
import { confirmPassword } from "../accounts/reauthenticate.js";
import type { AuditContext } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import type { KeyChangeDeps } from "../keys/publish-key-change.js";
import {
  confirmPasswordAndCode,
  type IdentityDeps,
  type IdentityProof,
  type IdentityRefusal,
} from "./confirm-identity.js";
import { type BeginEnrolmentResult, beginTotpEnrolment, disableTotp } from "./enrolment.js";

// The changes a signed-in person makes only once they have proven again that it is them
// (confirm-identity.ts): starting a second factor takes the password; turning it off and deleting the
// account take the password and, while there is one, a code. Each is one call, the proof first: a
// refused proof changes nothing, and comes back as `not_confirmed` with why.

export type NotConfirmed = {
  ok: false;
  reason: "not_confirmed";
  refusal: IdentityRefusal;
};

const notConfirmed = (refusal: NotConfirmed["refusal"]): NotConfirmed => ({
  ok: false,
  reason: "not_confirmed",
  refusal,
});

/** A pending second factor for the account, once its password is given. */
export async function beginTotpEnrolmentWithPassword(
  deps: { db: Db; limits: AbuseLimits; now: Date },
  input: { account: AccountRow; password: string; ip: string; totpKey: Buffer },
): Promise<BeginEnrolmentResult | NotConfirmed> {
  const { account } = input;
  const checked = await confirmPassword(deps.limits, { account, password: input.password, ip: input.ip });
  if (!checked.ok) return notConfirmed(checked);
  return beginTotpEnrolment(deps.db, { account, totpKey: input.totpKey, now: deps.now });
}

/** Turns the second factor off; an account without one is answered as a wrong code. */
export async function disableTotpWithProof(
  deps: IdentityDeps,
  input: IdentityProof & { audit: AuditContext; signal?: AbortSignal },
): Promise<{ ok: true } | NotConfirmed> {
  const { account } = input;
  if (!account.totpEnabledAt) return notConfirmed({ ok: false, reason: "invalid_code" });
  const confirmed = await confirmPasswordAndCode(deps, input);
  if (!confirmed.ok) return notConfirmed(confirmed);
  await disableTotp(deps.db, {
    accountId: account.id,
    now: deps.now,
    signal: input.signal,
    ...input.audit,
  });
  return { ok: true };
}

/** Deletes the account (accounts/delete-account.ts) once the proof is given. */
export async function deleteAccountWithProof(
  deps: IdentityDeps & KeyChangeDeps,
  input: IdentityProof & { signal?: AbortSignal },
): Promise<DeleteAccountResult | NotConfirmed> {
  const confirmed = await confirmPasswordAndCode(deps, input);
  if (!confirmed.ok) return notConfirmed(confirmed);
  return deleteAccount(deps, { accountId: input.account.id, now: deps.now, signal: input.signal });
}
