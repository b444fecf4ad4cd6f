import { and, eq, ne } from "drizzle-orm";
import type { AccountRow } from "../accounts/accounts.js";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, sessions } from "../db/schema.js";
import { generateToken, hashSecret } from "../secrets/secrets.js";

export type SessionRow = typeof sessions.$inferSelect;

export interface SessionLimits {
  sessionTtlHours: number;
  sessionIdleHours: number;
}

const HOUR_MS = 3_600_000;
// Touching last_used_at on every request would turn each console read into a write; a minute of
// slack on a 24-hour idle limit is immaterial.
const TOUCH_AFTER_MS = 60_000;

/** A new session with a fresh token; only the token's hash is stored. */
export async function createSession(
  db: Pick<Db, "insert">,
  input: { accountId: string; ip: string | null; userAgent: string | null; now: Date; ttlHours: number },
): Promise<{ token: string; session: SessionRow }> {
  const { token, hash } = generateToken();
  const [session] = await db
    .insert(sessions)
    .values({
      id: newId("ses", input.now.getTime()),
      accountId: input.accountId,
      tokenHash: hash,
      createdAt: input.now,
      lastUsedAt: input.now,
      expiresAt: new Date(input.now.getTime() + input.ttlHours * HOUR_MS),
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
    })
    .returning();
  if (!session) throw new Error("session insert returned no row");
  return { token, session };
}

/**
 * The session and account for a token, or null when unknown, expired (absolute or idle) or the
 * account is disabled. Looking up by hash means the comparison happens inside the index, never on
 * the raw token.
 */
export async function validateSessionToken(
  db: Db,
  token: string,
  now: Date,
  limits: SessionLimits,
): Promise<{ session: SessionRow; account: AccountRow } | null> {
  const [row] = await db
    .select({ session: sessions, account: accounts })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(eq(sessions.tokenHash, hashSecret(token)))
    .limit(1);
  if (!row) return null;
  const { session, account } = row;
  const idleDeadline = session.lastUsedAt.getTime() + limits.sessionIdleHours * HOUR_MS;
  const absoluteDeadline = Math.min(
    session.expiresAt.getTime(),
    session.createdAt.getTime() + limits.sessionTtlHours * HOUR_MS,
  );
  if (now.getTime() >= idleDeadline || now.getTime() >= absoluteDeadline || account.disabledAt) {
    return null;
  }
  if (now.getTime() - session.lastUsedAt.getTime() > TOUCH_AFTER_MS) {
    await db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, session.id));
  }
  return { session, account };
}

export async function invalidateSession(db: Pick<Db, "delete">, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends every session of an account, or every one but `exceptSessionId` (after a password change). */
export async function invalidateAccountSessions(
  db: Pick<Db, "delete">,
  accountId: string,
  exceptSessionId?: string,
): Promise<void> {
  await db
    .delete(sessions)
    .where(
      exceptSessionId
        ? and(eq(sessions.accountId, accountId), ne(sessions.id, exceptSessionId))
        : eq(sessions.accountId, accountId),
    );
}
