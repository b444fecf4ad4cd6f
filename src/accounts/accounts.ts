import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts } from "../db/schema.js";
import type { Tier } from "../tiers/tiers.js";
import { emailIs } from "./email-address.js";

export type AccountRow = typeof accounts.$inferSelect;

export interface AccountJson {
  id: string;
  email: string;
  email_verified: boolean;
  tier: Tier;
  rotation_reminder_days: number;
  totp_enabled: boolean;
  new_signin_emails: boolean;
  pending_email: string | null;
  created_at: string;
}

/** The account as clients see it: never a hash, never the disabled flag. */
export function accountJson(account: AccountRow): AccountJson {
  return {
    id: account.id,
    email: account.email,
    email_verified: account.emailVerifiedAt !== null,
    tier: account.tier,
    rotation_reminder_days: account.rotationReminderDays,
    totp_enabled: account.totpEnabledAt !== null,
    new_signin_emails: account.newSigninEmails,
    pending_email: account.pendingEmail,
    created_at: account.createdAt.toISOString(),
  };
}

/** Emails are stored trimmed, as typed, and matched as email-address.ts says (the limits' key). */
export async function findAccountByEmail(db: Db, email: string): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(emailIs(email)).limit(1);
  return row ?? null;
}

export async function findAccountById(db: Db, id: string): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id)).limit(1);
  return row ?? null;
}

/**
 * A new, unverified account. Two signups racing for one address both pass any prior check, so the
 * unique index on lower(email) is the arbiter: a row it keeps out is the "taken" answer. DO NOTHING
 * rather than a caught violation, so that the caller's transaction stays usable either way.
 */
export async function insertAccount(
  db: Pick<Db, "insert">,
  input: { email: string; passwordHash: string; now: Date },
): Promise<{ ok: true; account: AccountRow } | { ok: false; reason: "email_taken" }> {
  const [account] = await db
    .insert(accounts)
    .values({
      id: newId("acc", input.now.getTime()),
      email: input.email.trim(),
      passwordHash: input.passwordHash,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoNothing()
    .returning();
  return account ? { ok: true, account } : { ok: false, reason: "email_taken" };
}

export async function updateAccountSettings(
  db: Db,
  accountId: string,
  settings: { rotationReminderDays?: number; newSigninEmails?: boolean },
  now: Date,
): Promise<AccountRow> {
  const [row] = await db
    .update(accounts)
    .set({ ...settings, updatedAt: now })
    .where(eq(accounts.id, accountId))
    .returning();
  if (!row) throw new Error("account vanished during update");
  return row;
}

/** Stores a hash made with today's argon2 parameters after a login that verified the old one. */
export async function storeRehashedPassword(db: Db, accountId: string, passwordHash: string): Promise<void> {
  await db.update(accounts).set({ passwordHash }).where(eq(accounts.id, accountId));
}

/** A new password hash, chosen by the user (a change or a reset), within the caller's transaction. */
export async function updatePasswordHash(
  tx: Pick<Db, "update">,
  input: { accountId: string; passwordHash: string; now: Date },
): Promise<void> {
  await tx
    .update(accounts)
    .set({ passwordHash: input.passwordHash, updatedAt: input.now })
    .where(eq(accounts.id, input.accountId));
}
