import { and, eq, isNull } from "drizzle-orm";
import type { AccountRow } from "../accounts/accounts.js";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { accounts, recoveryCodes } from "../db/schema.js";
import { replaceRecoveryCodes } from "./recovery-codes.js";
import { openTotpSecret, sealTotpSecret } from "./secret-box.js";
import { generateTotpSecret, matchTotpStep, totpUri } from "./totp-codes.js";

export type BeginEnrolmentResult =
  | { ok: true; secret: string; otpauthUri: string }
  | { ok: false; reason: "already_enabled" };

/**
 * Starts an enrolment: a new secret, stored sealed as pending, returned this once with its URI. A
 * second call replaces the pending secret (the person scanned nothing, or lost the screen); the
 * second factor is only on once a code from the app has been confirmed.
 */
export async function beginTotpEnrolment(
  db: Db,
  input: { account: AccountRow; totpKey: Buffer; now: Date },
): Promise<BeginEnrolmentResult> {
  const secret = generateTotpSecret();
  const [row] = await db
    .update(accounts)
    .set({ totpPendingSecret: sealTotpSecret(input.totpKey, input.account.id, secret), updatedAt: input.now })
    .where(and(eq(accounts.id, input.account.id), isNull(accounts.totpEnabledAt)))
    .returning({ id: accounts.id });
  if (!row) return { ok: false, reason: "already_enabled" };
  return { ok: true, secret, otpauthUri: totpUri(secret, input.account.email) };
}

export type ConfirmEnrolmentResult =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: "invalid_code" | "not_pending" | "already_enabled" };

/**
 * Turns the second factor on with a first code from the app: the pending secret becomes the secret,
 * the code's step is remembered (so it cannot be used again to log in), ten recovery codes replace
 * any old ones, and the audit row is written, in one transaction. The update is conditional on the
 * pending secret the code was checked against, so a concurrent new enrolment cannot slip in between.
 */
export async function confirmTotpEnrolment(
  db: Db,
  input: {
    account: AccountRow;
    code: string;
    totpKey: Buffer;
    now: Date;
    signal?: AbortSignal;
  } & AuditContext,
): Promise<ConfirmEnrolmentResult> {
  const { account, now } = input;
  if (account.totpEnabledAt) return { ok: false, reason: "already_enabled" };
  const pending = account.totpPendingSecret;
  const secret = pending ? openTotpSecret(input.totpKey, account.id, pending) : null;
  if (!pending || !secret) return { ok: false, reason: "not_pending" };
  const step = matchTotpStep(secret, input.code.trim(), now);
  if (step === null) return { ok: false, reason: "invalid_code" };
  return db.transaction(async (tx): Promise<ConfirmEnrolmentResult> => {
    const [row] = await tx
      .update(accounts)
      .set({
        totpSecret: pending,
        totpPendingSecret: null,
        totpEnabledAt: now,
        totpLastStep: step,
        updatedAt: now,
      })
      .where(
        and(
          eq(accounts.id, account.id),
          isNull(accounts.totpEnabledAt),
          eq(accounts.totpPendingSecret, pending),
        ),
      )
      .returning({ id: accounts.id });
    if (!row) return { ok: false, reason: "not_pending" };
    const codes = await replaceRecoveryCodes(tx, account.id, now);
    await recordAuditEvent(tx, {
      accountId: account.id,
      action: "totp.enabled",
      ip: input.ip,
      userAgent: input.userAgent,
      at: now,
    });
    // A call already answered (503 at its deadline) must not turn the second factor on afterwards.
    input.signal?.throwIfAborted();
    return { ok: true, recoveryCodes: codes };
  });
}

/** Turns the second factor off: secret, pending secret and recovery codes gone, with the audit row. */
export async function disableTotp(
  db: Db,
  input: { accountId: string; now: Date; signal?: AbortSignal } & AuditContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({
        totpSecret: null,
        totpPendingSecret: null,
        totpEnabledAt: null,
        totpLastStep: null,
        updatedAt: input.now,
      })
      .where(eq(accounts.id, input.accountId));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, input.accountId));
    await recordAuditEvent(tx, {
      accountId: input.accountId,
      action: "totp.disabled",
      ip: input.ip,
      userAgent: input.userAgent,
      at: input.now,
    });
    input.signal?.throwIfAborted();
  });
}
