import type { AbuseLimits } from "../accounts/abuse-limits.js";
import type { AccountRow } from "../accounts/accounts.js";
import type { AuditContext } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { asLoginAttempt, type RateLimited } from "../totp/code-attempts.js";
import { type ConfirmEnrolmentResult, confirmTotpEnrolment } from "../totp/enrolment.js";
import { endOtherSessions } from "./session-list.js";

// Turning the second factor on: the app's code confirms the pending enrolment (counted as a login
// attempt, as every code is) and, when asked, the account's other sessions end, so that one opened
// with the password alone does not outlive the change. It lives with the sessions because it ends
// some; the sessions already use the second factor (login), never the other way round.

export async function turnOnSecondFactor(
  deps: { db: Db; limits: AbuseLimits; now: Date },
  input: {
    account: AccountRow;
    code: string;
    totpKey: Buffer;
    /** The session asking: kept when the others end. */
    sessionId: string;
    endOtherSessions: boolean;
    /** The client's address, for the login failure limits the code counts towards. */
    ip: string;
    audit: AuditContext;
    signal?: AbortSignal;
  },
): Promise<ConfirmEnrolmentResult | RateLimited> {
  const { account } = input;
  const now = deps.now;
  const confirmed = await asLoginAttempt(deps.limits, { email: account.email, ip: input.ip }, () =>
    confirmTotpEnrolment(deps.db, {
      account,
      code: input.code,
      totpKey: input.totpKey,
      now,
      signal: input.signal,
      ...input.audit,
    }),
  );
  if (confirmed.ok && input.endOtherSessions) {
    await endOtherSessions(deps.db, {
      accountId: account.id,
      keepSessionId: input.sessionId,
      now,
      ...input.audit,
    });
  }
  return confirmed;
}
