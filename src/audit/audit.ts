import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { auditEvents } from "../db/schema.js";

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
    userAgent: event.userAgent?.slice(0, 512) ?? null,
    createdAt: event.at,
  });
}
