import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, apiKeys, sessions } from "../db/schema.js";
import { isActiveKeyRawSql } from "../keys/active-key.js";
import { type KeyChangeDeps, publishKeyChange, unrevokedKeyIds } from "../keys/publish-key-change.js";
import type { Tier } from "../tiers/tiers.js";

// Queries behind the operator commands. They act on one account found by email, as an operator
// knows it; nothing here is reachable over HTTP.

export interface AccountListing {
  id: string;
  email: string;
  verified: boolean;
  tier: Tier;
  disabled: boolean;
  activeKeys: number;
  createdAt: Date;
}

/** Every account, oldest first, with its count of keys that are neither revoked nor expired. */
export async function listAccountsForOperator(db: Db, now: Date): Promise<AccountListing[]> {
  const rows = await db
    .select({
      id: accounts.id,
      email: accounts.email,
      emailVerifiedAt: accounts.emailVerifiedAt,
      tier: accounts.tier,
      disabledAt: accounts.disabledAt,
      createdAt: accounts.createdAt,
      // Written out with aliases: inside a single-table select drizzle leaves columns unqualified.
      activeKeys: sql<number>`(
        select count(*)::int from api_keys k
        where k.account_id = "accounts"."id" and ${isActiveKeyRawSql("k", now)})`,
    })
    .from(accounts)
    .orderBy(asc(accounts.id));
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    verified: r.emailVerifiedAt !== null,
    tier: r.tier,
    disabled: r.disabledAt !== null,
    activeKeys: Number(r.activeKeys),
    createdAt: r.createdAt,
  }));
}

/** An account that is verified from the start: the first user of a host without email set up. */
export async function insertVerifiedAccount(
  db: Db,
  input: { email: string; passwordHash: string; now: Date },
): Promise<{ ok: true; id: string } | { ok: false; reason: "email_taken" }> {
  const id = newId("acc", input.now.getTime());
  // The unique index on lower(email) decides, so a signup racing this command cannot slip through.
  const inserted = await db
    .insert(accounts)
    .values({
      id,
      email: input.email,
      passwordHash: input.passwordHash,
      emailVerifiedAt: input.now,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoNothing()
    .returning({ id: accounts.id });
  return inserted.length === 1 ? { ok: true, id } : { ok: false, reason: "email_taken" };
}

// Each change below reaches the limits or validity of the account's keys, which every web process
// caches: it is published before its commit (keys/publish-key-change.ts), or it does not happen
// (KeyChangeUnpublished is thrown and the transaction rolls back).

export async function setAccountTier(
  db: Db,
  keyChange: KeyChangeDeps,
  accountId: string,
  tier: Tier,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(accounts).set({ tier, updatedAt: now }).where(eq(accounts.id, accountId));
    await publishKeyChange(tx, keyChange, await unrevokedKeyIds(tx, accountId));
  });
}

/** Ids of the account's keys that are not revoked: the ones a disable must stop. */
export async function unrevokedKeys(
  db: Db,
  accountId: string,
): Promise<{ id: string; expiresAt: Date | null }[]> {
  return db
    .select({ id: apiKeys.id, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)));
}

/** Marks the account disabled and ends all its sessions, in one transaction. */
export async function disableAccountRow(
  db: Db,
  keyChange: KeyChangeDeps,
  accountId: string,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({ disabledAt: now, updatedAt: now })
      .where(and(eq(accounts.id, accountId), isNull(accounts.disabledAt)));
    await tx.delete(sessions).where(eq(sessions.accountId, accountId));
    await publishKeyChange(tx, keyChange, await unrevokedKeyIds(tx, accountId), { deadAt: now });
  });
}

export async function enableAccountRow(
  db: Db,
  keyChange: KeyChangeDeps,
  accountId: string,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(accounts).set({ disabledAt: null, updatedAt: now }).where(eq(accounts.id, accountId));
    await publishKeyChange(tx, keyChange, await unrevokedKeyIds(tx, accountId));
  });
}
