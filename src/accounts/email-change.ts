import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, emailTokens } from "../db/schema.js";
import { generateToken, hashSecret } from "../secrets/secrets.js";
import type { AccountRow } from "./accounts.js";
import { emailIs, normalizeEmail } from "./email-address.js";
import { retireEmailTokens } from "./email-tokens.js";

// An email change waits in accounts.pending_email until the new address proves it receives mail:
// the account keeps signing in, resetting and being written to at the old address meanwhile. The old
// address is told, but gets nothing it could act on: the only link goes to the new address.

export const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;

export type EmailChangeRequest = { ok: true } | { ok: false; reason: "same_email" };

/** Records the address to change to (a newer request replaces an older one), with the audit row. */
export async function requestEmailChange(
  db: Db,
  input: { account: AccountRow; newEmail: string; now: Date; signal?: AbortSignal } & AuditContext,
): Promise<EmailChangeRequest> {
  const newEmail = input.newEmail.trim();
  if (normalizeEmail(newEmail) === normalizeEmail(input.account.email))
    return { ok: false, reason: "same_email" };
  await db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({ pendingEmail: newEmail, updatedAt: input.now })
      .where(eq(accounts.id, input.account.id));
    await recordAuditEvent(tx, {
      accountId: input.account.id,
      action: "email.change_requested",
      ip: input.ip,
      userAgent: input.userAgent,
      at: input.now,
    });
    input.signal?.throwIfAborted();
  });
  return { ok: true };
}

/**
 * Forgets the account's pending address, in the caller's transaction; the caller retires its change
 * links in the same one (retireEmailTokens). A new password ends an email change, since whoever held a
 * session may have started it.
 */
export async function dropPendingEmail(tx: Pick<Db, "update">, accountId: string): Promise<void> {
  await tx.update(accounts).set({ pendingEmail: null }).where(eq(accounts.id, accountId));
}

/** Whether another account already uses the address (the change would then be refused). */
export async function isEmailTaken(db: Db, email: string, exceptAccountId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(emailIs(email), ne(accounts.id, exceptAccountId)))
    .limit(1);
  return row !== undefined;
}

/** Mints the link's token for the address pending now; only its hash is stored (like every email token). */
export async function mintEmailChangeToken(
  db: Db,
  input: { accountId: string; newEmail: string; requestId: string; now: Date },
): Promise<string> {
  const { token, hash } = generateToken();
  await db.insert(emailTokens).values({
    id: newId("tok", input.now.getTime()),
    accountId: input.accountId,
    purpose: "change_email",
    tokenHash: hash,
    newEmail: input.newEmail,
    requestId: input.requestId,
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + EMAIL_CHANGE_TTL_MS),
  });
  return token;
}

export type EmailChangeResult =
  | { ok: true; account: AccountRow; previousEmail: string }
  | { ok: false; reason: "invalid_token" | "email_taken" };

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === "23505" || e?.cause?.code === "23505";
}

/**
 * Confirms a change with the token from the link: used once, only for the address still pending (a
 * later request makes older links useless), and only while no other account took the address
 * meanwhile (the unique index decides). The address is verified by the very act.
 */
export async function confirmEmailChange(
  db: Db,
  input: { token: string; now: Date; signal?: AbortSignal } & AuditContext,
): Promise<EmailChangeResult> {
  const { now } = input;
  try {
    return await db.transaction(async (tx): Promise<EmailChangeResult> => {
      const [used] = await tx
        .update(emailTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(emailTokens.tokenHash, hashSecret(input.token)),
            eq(emailTokens.purpose, "change_email"),
            isNull(emailTokens.usedAt),
            gt(emailTokens.expiresAt, now),
          ),
        )
        .returning({ accountId: emailTokens.accountId, newEmail: emailTokens.newEmail });
      if (!used?.newEmail) return { ok: false, reason: "invalid_token" };
      const [before] = await tx
        .select({ email: accounts.email })
        .from(accounts)
        .where(eq(accounts.id, used.accountId))
        .for("update");
      const [account] = await tx
        .update(accounts)
        .set({
          email: used.newEmail,
          pendingEmail: null,
          emailVerifiedAt: sql`coalesce(${accounts.emailVerifiedAt}, ${now.toISOString()}::timestamptz)`,
          updatedAt: now,
        })
        .where(
          and(
            eq(accounts.id, used.accountId),
            eq(accounts.pendingEmail, used.newEmail),
            isNull(accounts.deletedAt),
          ),
        )
        .returning();
      if (!account || !before) return { ok: false, reason: "invalid_token" };
      // Every other change link, and every reset link: one sitting in the old mailbox would otherwise
      // still set the password of the account that mailbox no longer names.
      await retireEmailTokens(tx, {
        accountId: account.id,
        purposes: ["change_email", "reset_password"],
        now,
      });
      await recordAuditEvent(tx, {
        accountId: account.id,
        action: "email.changed",
        ip: input.ip,
        userAgent: input.userAgent,
        at: now,
      });
      input.signal?.throwIfAborted();
      return { ok: true, account, previousEmail: before.email };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: "email_taken" };
    throw err;
  }
}
