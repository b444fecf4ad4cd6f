import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { AbuseLimits } from "../accounts/abuse-limits.js";
import type { AccountRow } from "../accounts/accounts.js";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, loginChallenges } from "../db/schema.js";
import { generateToken, hashSecret } from "../secrets/secrets.js";
import { asLoginAttempt } from "../totp/code-attempts.js";
import { type SecondFactorProof, useSecondFactor } from "../totp/second-factor.js";
import type { SessionRow } from "./sessions.js";
import { startSession } from "./start-session.js";

// Five minutes to open the app and type a code; five wrong codes and the challenge is spent (the
// password must be typed again, and every code also counts towards the login limits).
export const CHALLENGE_TTL_MS = 5 * 60_000;
export const CHALLENGE_MAX_FAILURES = 5;

export interface LoginChallenge {
  token: string;
  expiresAt: Date;
}

/** A challenge for an account whose password just checked out; only the token's hash is stored. */
export async function createLoginChallenge(
  db: Pick<Db, "insert">,
  input: { accountId: string; now: Date } & AuditContext,
): Promise<LoginChallenge> {
  const { token, hash } = generateToken();
  const expiresAt = new Date(input.now.getTime() + CHALLENGE_TTL_MS);
  await db.insert(loginChallenges).values({
    id: newId("chl", input.now.getTime()),
    accountId: input.accountId,
    tokenHash: hash,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    createdAt: input.now,
    expiresAt,
  });
  return { token, expiresAt };
}

/**
 * Spends the account's open challenges, in the caller's transaction: each was earned with a password
 * that a change or a reset has just replaced.
 */
export async function retireLoginChallenges(
  tx: Pick<Db, "update">,
  input: { accountId: string; now: Date },
): Promise<void> {
  await tx
    .update(loginChallenges)
    .set({ usedAt: input.now })
    .where(and(eq(loginChallenges.accountId, input.accountId), isNull(loginChallenges.usedAt)));
}

export type ChallengeResult =
  | {
      ok: true;
      token: string;
      session: SessionRow;
      account: AccountRow;
      newSigninEventId: string | null;
      via: "totp" | "recovery_code";
    }
  | { ok: false; reason: "invalid_token" | "invalid_code" | "unavailable" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

class WrongCode extends Error {
  constructor(readonly reason: "invalid_code" | "unavailable") {
    super(reason);
  }
}

/**
 * Answers a challenge with a code or a recovery code. The challenge is used up and the code checked
 * in one transaction, so a wrong code leaves the challenge open (until it has failed too often or
 * expired) and a right one turns it into exactly one session.
 */
export async function completeLoginChallenge(
  deps: { db: Db; limits: AbuseLimits; totpKey: Buffer | undefined; now: Date; sessionTtlHours: number },
  input: { token: string; proof: SecondFactorProof; ip: string; signal?: AbortSignal } & AuditContext,
): Promise<ChallengeResult> {
  const { db, now } = deps;
  const [found] = await db
    .select({ challenge: loginChallenges, account: accounts })
    .from(loginChallenges)
    .innerJoin(accounts, eq(accounts.id, loginChallenges.accountId))
    .where(
      and(
        eq(loginChallenges.tokenHash, hashSecret(input.token)),
        isNull(loginChallenges.usedAt),
        gt(loginChallenges.expiresAt, now),
        lt(loginChallenges.failedAttempts, CHALLENGE_MAX_FAILURES),
      ),
    )
    .limit(1);
  if (!found || found.account.disabledAt || !found.account.totpEnabledAt) {
    return { ok: false, reason: "invalid_token" };
  }
  const { challenge, account } = found;
  const context = { ip: input.ip, userAgent: input.userAgent };

  return asLoginAttempt(
    deps.limits,
    { email: account.email, ip: input.ip },
    async (): Promise<ChallengeResult> => {
      try {
        return await db.transaction(async (tx): Promise<ChallengeResult> => {
          const [claimed] = await tx
            .update(loginChallenges)
            .set({ usedAt: now })
            .where(and(eq(loginChallenges.id, challenge.id), isNull(loginChallenges.usedAt)))
            .returning({ id: loginChallenges.id });
          if (!claimed) return { ok: false, reason: "invalid_token" };
          const check = await useSecondFactor(tx, {
            account,
            proof: input.proof,
            totpKey: deps.totpKey,
            now,
          });
          if (!check.ok) throw new WrongCode(check.reason);
          if (check.via === "recovery_code") {
            await recordAuditEvent(tx, {
              accountId: account.id,
              action: "recovery_code.used",
              ...context,
              at: now,
            });
          }
          const started = await startSession(tx, {
            account,
            ...context,
            now,
            ttlHours: deps.sessionTtlHours,
          });
          input.signal?.throwIfAborted();
          return { ok: true, ...started, account, via: check.via };
        });
      } catch (err) {
        if (!(err instanceof WrongCode)) throw err;
        if (err.reason === "unavailable") return { ok: false, reason: "unavailable" };
        // Outside the rolled-back transaction: the failure must stick.
        await db.transaction(async (tx) => {
          await tx
            .update(loginChallenges)
            .set({ failedAttempts: sql`${loginChallenges.failedAttempts} + 1` })
            .where(eq(loginChallenges.id, challenge.id));
          await recordAuditEvent(tx, {
            accountId: account.id,
            action: "second_factor.failed",
            ...context,
            at: now,
          });
        });
        return { ok: false, reason: err.reason };
      }
    },
  );
}
