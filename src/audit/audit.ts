import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { accounts, auditEvents } from "../db/schema.js";

/** The most of a client's User-Agent an audit row keeps. */
const USER_AGENT_KEPT = 512;

export type AuditAction =
  | "session.created"
  | "password.changed"
  | "password.reset"
  | "key.created"
  | "key.renamed"
  | "key.models_changed"
  | "key.token_limit_changed"
  | "key.rotated"
  | "key.revoked"
  | "login.failed"
  | "second_factor.failed"
  | "totp.enabled"
  | "totp.disabled"
  | "recovery_code.used"
  | "session.ended"
  | "sessions.ended_others"
  | "email.change_requested"
  | "email.changed"
  | "account.deleted";

export interface AuditContext {
  ip: string | null;
  userAgent: string | null;
}

/** Records an audit event; pass the transaction of the change it describes, so both land or neither. */
export async function recordAuditEvent(
  tx: Pick<Db, "insert">,
  event: {
    id?: string;
    accountId: string;
    action: AuditAction;
    keyId?: string | null;
    at?: Date;
  } & AuditContext,
): Promise<void> {
  await tx.insert(auditEvents).values({
    id: event.id ?? newId("evt", event.at?.getTime()),
    accountId: event.accountId,
    action: event.action,
    keyId: event.keyId ?? null,
    ip: event.ip,
    userAgent: event.userAgent?.slice(0, USER_AGENT_KEPT) ?? null,
    createdAt: event.at,
  });
}

/**
 * The owner's audit log shows a failed login and where it came from, never what was typed. An unknown
 * email goes through the very same statements, whose SELECT finds no account and so writes no row:
 * the answer's time must not tell it from a wrong password. The commit does not wait for the row to
 * reach the disk (synchronous_commit off, for this transaction only): a transaction that wrote nothing
 * has nothing to flush, so waiting would give a wrong password away by the flush's milliseconds
 * (2.5 ms measured). A crash of PostgreSQL may lose the last fraction of a second of failed-login rows,
 * never corrupt anything, and a failed login changes nothing else.
 */
export async function recordFailedLogin(
  db: Db,
  event: { accountId: string | null; at: Date } & AuditContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local synchronous_commit to off`);
    await tx.insert(auditEvents).select(
      tx
        .select({
          id: sql<string>`${newId("evt", event.at.getTime())}::text`.as("id"),
          accountId: accounts.id,
          action: sql<string>`'login.failed'`.as("action"),
          keyId: sql<string | null>`null::text`.as("key_id"),
          ip: sql<string | null>`${event.ip}::text`.as("ip"),
          userAgent: sql<string | null>`${event.userAgent?.slice(0, USER_AGENT_KEPT) ?? null}::text`.as(
            "user_agent",
          ),
          createdAt: sql<Date>`${sql.param(event.at, auditEvents.createdAt)}::timestamptz`.as("created_at"),
        })
        .from(accounts)
        // No account id matches the empty string: an unknown email's row is never written.
        .where(eq(accounts.id, event.accountId ?? "")),
    );
  });
}
