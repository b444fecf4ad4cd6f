import { and, count, desc, eq, isNotNull, isNull, lt, lte, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { pageOf } from "../db/pages.js";
import { apiKeys } from "../db/schema.js";
import { isActiveKeySql, type KeyStatus } from "./active-key.js";
import type { ApiKeyRow } from "./key-view.js";

// Reads of an account's keys. Every query is scoped by account id, so
// another account's key id behaves exactly like an unknown one.

/** The SQL twin of keyStatus(): revoked wins over expired. */
export function statusIs(status: KeyStatus, now: Date): SQL {
  if (status === "revoked") return isNotNull(apiKeys.revokedAt);
  if (status === "expired") {
    return and(isNull(apiKeys.revokedAt), lte(apiKeys.expiresAt, now)) as SQL;
  }
  return isActiveKeySql(now);
}

export async function countActiveKeys(db: Pick<Db, "select">, accountId: string, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), statusIs("active", now)));
  return row?.n ?? 0;
}

export async function findApiKey(
  db: Pick<Db, "select">,
  accountId: string,
  keyId: string,
): Promise<ApiKeyRow | null> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)));
  return row ?? null;
}

/** One page, newest first (ids are time-ordered); the cursor is the last id of the previous page. */
export async function listApiKeys(
  db: Db,
  input: { accountId: string; status: KeyStatus | "all"; limit: number; cursor?: string; now: Date },
): Promise<{ rows: ApiKeyRow[]; nextCursor: string | null }> {
  const conditions = [eq(apiKeys.accountId, input.accountId)];
  if (input.status !== "all") conditions.push(statusIs(input.status, input.now));
  if (input.cursor) conditions.push(lt(apiKeys.id, input.cursor));
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(...conditions))
    .orderBy(desc(apiKeys.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit);
}
