import { and, eq, sql } from "drizzle-orm";
import type { AccountRow } from "../accounts/accounts.js";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db, Tx } from "../db/client.js";
import { newId } from "../db/ids.js";
import { auditEvents } from "../db/schema.js";
import { createSession, type SessionRow } from "./sessions.js";

export interface StartedSession {
  token: string;
  session: SessionRow;
  /**
   * The session.created event when this sign-in came from an address the account never signed in
   * from before (and the account wants to hear of it): the worker's new sign-in email reads it.
   */
  newSigninEventId: string | null;
}

/**
 * A new session with its session.created audit row, in the caller's transaction. The first sign-in of
 * an account is not "new" (it is where the account started), every later one from an unseen address is.
 */
export async function startSession(
  tx: Tx,
  input: { account: AccountRow; ip: string; now: Date; ttlHours: number } & AuditContext,
): Promise<StartedSession> {
  const { account, now } = input;
  const alert = account.newSigninEmails ? await isNewAddress(tx, account.id, input.ip) : false;
  const created = await createSession(tx, {
    accountId: account.id,
    ip: input.ip,
    userAgent: input.userAgent,
    now,
    ttlHours: input.ttlHours,
  });
  const eventId = newId("evt", now.getTime());
  await recordAuditEvent(tx, {
    id: eventId,
    accountId: account.id,
    action: "session.created",
    ip: input.ip,
    userAgent: input.userAgent,
    at: now,
  });
  return { ...created, newSigninEventId: alert ? eventId : null };
}

async function isNewAddress(db: Pick<Db, "select">, accountId: string, ip: string): Promise<boolean> {
  const [row] = await db
    .select({
      any: sql<boolean | null>`bool_or(true)`,
      seen: sql<boolean | null>`bool_or(${auditEvents.ip} = ${ip})`,
    })
    .from(auditEvents)
    .where(and(eq(auditEvents.accountId, accountId), eq(auditEvents.action, "session.created")));
  return row?.any === true && row.seen !== true;
}
