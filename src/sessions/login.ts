import type { AbuseLimits } from "../accounts/abuse-limits.js";
import { type AccountRow, findAccountByEmail, storeRehashedPassword } from "../accounts/accounts.js";
import { verifyAgainstDummy, verifyPassword } from "../accounts/passwords.js";
import { type AuditContext, recordFailedLogin } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { createLoginChallenge, type LoginChallenge } from "./login-challenge.js";
import type { SessionRow } from "./sessions.js";
import { startSession } from "./start-session.js";

export type LoginResult =
  | { ok: true; token: string; session: SessionRow; account: AccountRow; newSigninEventId: string | null }
  | { ok: true; challenge: LoginChallenge; account: AccountRow }
  | { ok: false; reason: "invalid_credentials" | "email_not_verified" | "account_disabled" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

/**
 * Logs in with email and password. An unknown email and a wrong password give the same answer after
 * the same work (one argon2 verification, the same statements and Redis commands), so neither the
 * body nor the time tells them apart; the verified and disabled checks come only after the password
 * checked out, so they reveal nothing to someone without it. Every attempt counts against the email
 * and the IP; a correct password clears the email's count and gives the IP its attempt back, so only
 * failures add up. With a second factor on, a correct password only earns a login challenge, and
 * clears nothing: the count is cleared when the code is right, so cycling "password, wrong codes,
 * password again" stays within the limits.
 */
export async function logIn(
  deps: { db: Db; limits: AbuseLimits; now: Date; sessionTtlHours: number },
  input: { email: string; password: string; ip: string; signal?: AbortSignal } & AuditContext,
): Promise<LoginResult> {
  // Counted before the password check: a count read now and raised only after the check would let a
  // burst of parallel guesses all pass before any of them is counted.
  const blockedFor = await deps.limits.beginLoginAttempt(input.email, input.ip);
  if (blockedFor !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: blockedFor };

  const account = await findAccountByEmail(deps.db, input.email);
  const verified = account
    ? await verifyPassword(account.passwordHash, input.password)
    : await verifyAgainstDummy(input.password).then(() => ({ ok: false, rehash: null }));
  if (!account || !verified.ok) {
    await recordFailedLogin(deps.db, {
      accountId: account?.id ?? null,
      ip: input.ip,
      userAgent: input.userAgent,
      at: deps.now,
    });
    return { ok: false, reason: "invalid_credentials" };
  }
  if (verified.rehash) await storeRehashedPassword(deps.db, account.id, verified.rehash);
  if (account.disabledAt) return { ok: false, reason: "account_disabled" };
  if (!account.emailVerifiedAt) return { ok: false, reason: "email_not_verified" };
  if (account.totpEnabledAt) {
    const challenge = await createLoginChallenge(deps.db, {
      accountId: account.id,
      ip: input.ip,
      userAgent: input.userAgent,
      now: deps.now,
    });
    return { ok: true, challenge, account };
  }
  await deps.limits.loginSucceeded(input.email, input.ip);

  const started = await deps.db.transaction(async (tx) => {
    const session = await startSession(tx, {
      account,
      ip: input.ip,
      userAgent: input.userAgent,
      now: deps.now,
      ttlHours: deps.sessionTtlHours,
    });
    // A login answered 503 at its deadline (PostgreSQL stalled) must not leave a session behind.
    input.signal?.throwIfAborted();
    return session;
  });
  return { ok: true, ...started, account };
}
