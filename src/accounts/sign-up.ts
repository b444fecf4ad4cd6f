import type { Db } from "../db/client.js";
import type { AbuseLimits } from "./abuse-limits.js";
import { type AccountRow, insertAccount } from "./accounts.js";
import { hashPassword, passwordProblem } from "./passwords.js";

export type SignUpResult =
  | { ok: true; account: AccountRow }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number }
  | { ok: false; reason: "weak_password"; problem: string }
  | { ok: false; reason: "email_taken" };

export interface SignUpDeps {
  db: Db;
  limits: AbuseLimits;
  now: Date;
  /**
   * Queues the verification email and waits for it within a bound (src/email/email-requests.ts).
   * Passed in: src/email reads accounts, so accounts does not import it back.
   */
  queueVerificationEmail: (accountId: string) => Promise<unknown>;
}

/**
 * Signs up: a new, unverified account, and its verification email queued. The IP's attempt is counted
 * before the body is read (`readBody` is the caller's parser, which may refuse it): a malformed or
 * refused signup then costs as much as a good one, so the limit bounds every attempt from an address,
 * probing which emails are taken included, not only the ones that succeed.
 */
export async function signUp(
  deps: SignUpDeps,
  input: { ip: string; readBody: () => { email: string; password: string }; signal?: AbortSignal },
): Promise<SignUpResult> {
  const wait = await deps.limits.consumeSignup(input.ip);
  if (wait !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: wait };
  const { email, password } = input.readBody();
  const problem = passwordProblem(password, email);
  if (problem) return { ok: false, reason: "weak_password", problem };
  const passwordHash = await hashPassword(password);
  // In a transaction whose last step checks the call's deadline: a signup answered 503 while its
  // insert was held by a stalled PostgreSQL must not create the account once the stall ends.
  const created = await deps.db.transaction(async (tx) => {
    const inserted = await insertAccount(tx, { email, passwordHash, now: deps.now });
    input.signal?.throwIfAborted();
    return inserted;
  });
  if (!created.ok) return created;
  await deps.queueVerificationEmail(created.account.id);
  return created;
}
