import { and, desc, eq, lt } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { pageOf } from "../db/pages.js";
import { auditEvents } from "../db/schema.js";

export const EVENT_ID_PATTERN = /^evt_[0-9a-z]{26}$/;

export const AuditEventSchema = z
  .object({
    id: z.string(),
    action: z.string().meta({ example: "key.created" }),
    key_id: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: "AuditEvent" });

export type AuditEventJson = z.infer<typeof AuditEventSchema>;

/** One page of an account's own audit events, newest first; the cursor is the last id seen. */
export async function listAuditEvents(
  db: Db,
  input: { accountId: string; limit: number; cursor?: string },
): Promise<{ data: AuditEventJson[]; nextCursor: string | null }> {
  const conditions = [eq(auditEvents.accountId, input.accountId)];
  if (input.cursor) conditions.push(lt(auditEvents.id, input.cursor));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(input.limit + 1);
  const page = pageOf(rows, input.limit);
  return {
    data: page.rows.map((e) => ({
      id: e.id,
      action: e.action,
      key_id: e.keyId,
      ip: e.ip,
      user_agent: e.userAgent,
      created_at: e.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}
