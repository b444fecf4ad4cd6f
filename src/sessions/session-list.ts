import { and, desc, eq, gt, ne } from "drizzle-orm";
import { z } from "zod";
import { type AuditContext, recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/client.js";
import { sessions } from "../db/schema.js";
import type { SessionLimits } from "./sessions.js";
import { summariseUserAgent } from "./user-agent.js";

// Sessions are checked against PostgreSQL on every request (validateSessionToken; no process caches
// them), so deleting the row is what ends a session, at once, on every web process.

export const SessionSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  last_used_at: z.string(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable().meta({ description: "Summarised, e.g. Firefox on Windows" }),
  current: z.boolean().meta({ description: "True for the session that made this request" }),
});
export type SessionJson = z.infer<typeof SessionSchema>;

/** DELETE /admin/sessions must say `others=true`: ending every other session is not a default. */
export const EndSessionsQuery = z.strictObject({
  others: z.literal("true", {
    error: "must be true: DELETE /admin/sessions ends every session but this one",
  }),
});

const HOUR_MS = 3_600_000;

/** The account's live sessions (not past their absolute or idle limit), newest first. */
export async function listLiveSessions(
  db: Db,
  input: { accountId: string; currentSessionId: string; now: Date; limits: SessionLimits },
): Promise<SessionJson[]> {
  const { now, limits } = input;
  const rows = await db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.accountId, input.accountId),
        gt(sessions.expiresAt, now),
        gt(sessions.lastUsedAt, new Date(now.getTime() - limits.sessionIdleHours * HOUR_MS)),
        gt(sessions.createdAt, new Date(now.getTime() - limits.sessionTtlHours * HOUR_MS)),
      ),
    )
    .orderBy(desc(sessions.id))
    .limit(500);
  return rows.map((s) => ({
    id: s.id,
    created_at: s.createdAt.toISOString(),
    last_used_at: s.lastUsedAt.toISOString(),
    ip: s.ip,
    user_agent: summariseUserAgent(s.userAgent),
    current: s.id === input.currentSessionId,
  }));
}

/** Ends one of the account's sessions; false when there is no such session of this account. */
export async function endSession(
  db: Db,
  input: { accountId: string; sessionId: string; now: Date; signal?: AbortSignal } & AuditContext,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const ended = await tx
      .delete(sessions)
      .where(and(eq(sessions.id, input.sessionId), eq(sessions.accountId, input.accountId)))
      .returning({ id: sessions.id });
    if (ended.length === 0) return false;
    await recordAuditEvent(tx, {
      accountId: input.accountId,
      action: "session.ended",
      ip: input.ip,
      userAgent: input.userAgent,
      at: input.now,
    });
    input.signal?.throwIfAborted();
    return true;
  });
}

/** Ends every session of the account but the one making the request; the count ended. */
export async function endOtherSessions(
  db: Db,
  input: { accountId: string; keepSessionId: string; now: Date; signal?: AbortSignal } & AuditContext,
): Promise<number> {
  return db.transaction(async (tx) => {
    const ended = await tx
      .delete(sessions)
      .where(and(eq(sessions.accountId, input.accountId), ne(sessions.id, input.keepSessionId)))
      .returning({ id: sessions.id });
    await recordAuditEvent(tx, {
      accountId: input.accountId,
      action: "sessions.ended_others",
      ip: input.ip,
      userAgent: input.userAgent,
      at: input.now,
    });
    input.signal?.throwIfAborted();
    return ended.length;
  });
}
