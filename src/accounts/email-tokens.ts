import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, emailTokens } from "../db/schema.js";
import { generateToken, hashSecret } from "../secrets/secrets.js";
import type { AccountRow } from "./accounts.js";

export type EmailTokenPurpose = "verify_email" | "reset_password";

const HOUR_MS = 3_600_000;
export const TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * HOUR_MS,
  reset_password: HOUR_MS,
};

/**
 * Mints a token for an email about to be sent; only its hash is stored. `requestId` is the job that
 * asked for it, so every attempt of one request is traceable to it.
 */
export async function mintEmailToken(
  db: Db,
  input: { accountId: string; purpose: EmailTokenPurpose; requestId: string; now: Date },
): Promise<string> {
  const { token, hash } = generateToken();
  await db.insert(emailTokens).values({
    id: newId("tok", input.now.getTime()),
    accountId: input.accountId,
    purpose: input.purpose,
    tokenHash: hash,
    requestId: input.requestId,
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + TOKEN_TTL_MS[input.purpose]),
  });
  return token;
}

/**
 * Uses a token once: a single conditional UPDATE, so two concurrent uses cannot both succeed and an
 * expired or used token matches nothing. Returns the account id, or null.
 */
async function consumeToken(
  tx: Tx,
  token: string,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<string | null> {
  const [row] = await tx
    .update(emailTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(emailTokens.tokenHash, hashSecret(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .returning({ accountId: emailTokens.accountId });
  return row?.accountId ?? null;
}

/**
 * Verifies the account's email with a verification token; null when the token is not usable. A call
 * answered 503 at its deadline (`signal`) uses nothing: the link works for the retry.
 */
export async function verifyEmailWithToken(
  db: Db,
  token: string,
  now: Date,
  signal?: AbortSignal,
): Promise<AccountRow | null> {
  return db.transaction(async (tx) => {
    const accountId = await consumeToken(tx, token, "verify_email", now);
    if (!accountId) return null;
    const [account] = await tx
      .update(accounts)
      .set({ emailVerifiedAt: sql`coalesce(${accounts.emailVerifiedAt}, ${now.toISOString()}::timestamptz)` })
      .where(eq(accounts.id, accountId))
      .returning();
    signal?.throwIfAborted();
    return account ?? null;
  });
}

/** The account a reset token belongs to, without using it (the new password is checked first). */
export async function accountForResetToken(db: Db, token: string, now: Date): Promise<AccountRow | null> {
  const [row] = await db
    .select({ account: accounts })
    .from(emailTokens)
    .innerJoin(accounts, eq(accounts.id, emailTokens.accountId))
    .where(
      and(
        eq(emailTokens.tokenHash, hashSecret(token)),
        eq(emailTokens.purpose, "reset_password"),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .limit(1);
  return row?.account ?? null;
}

/**
 * Marks the account's unused tokens of these purposes used, in the caller's transaction: the links
 * already sent stop working (a password change, a reset or an email change retires them; see
 * docs/account-security.md, "Outstanding links").
 */
export async function retireEmailTokens(
  tx: Pick<Db, "update">,
  input: { accountId: string; purposes: (typeof emailTokens.$inferSelect)["purpose"][]; now: Date },
): Promise<void> {
  await tx
    .update(emailTokens)
    .set({ usedAt: input.now })
    .where(
      and(
        eq(emailTokens.accountId, input.accountId),
        inArray(emailTokens.purpose, input.purposes),
        isNull(emailTokens.usedAt),
      ),
    );
}

/**
 * Uses a reset token and stores the new hash. Receiving the link proves the address, so the email
 * counts as verified too. The account's id, or null when the token was used meanwhile; the caller's
 * transaction ends the account's sessions and retires its other links with it.
 */
export async function setPasswordWithResetToken(
  tx: Tx,
  input: { token: string; passwordHash: string; now: Date },
): Promise<string | null> {
  const accountId = await consumeToken(tx, input.token, "reset_password", input.now);
  if (!accountId) return null;
  await tx
    .update(accounts)
    .set({
      passwordHash: input.passwordHash,
      updatedAt: input.now,
      emailVerifiedAt: sql`coalesce(${accounts.emailVerifiedAt}, ${input.now.toISOString()}::timestamptz)`,
    })
    .where(eq(accounts.id, accountId));
  return accountId;
}
