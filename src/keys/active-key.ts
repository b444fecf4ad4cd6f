import { and, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Sql } from "../db/client.js";
import { apiKeys } from "../db/schema.js";

// What "an active key" means, in one place: neither revoked nor past its expiry. Revocation wins
// over expiry when telling the two apart: a revoked key reads as revoked forever. The same rule is
// written here for TypeScript and for each way SQL is written in keyward.

export const KEY_STATUSES = ["active", "revoked", "expired"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Times in epoch ms (null: never). */
export function keyStatusAt(
  revokedAtMs: number | null,
  expiresAtMs: number | null,
  nowMs: number,
): KeyStatus {
  if (revokedAtMs !== null) return "revoked";
  if (expiresAtMs !== null && expiresAtMs <= nowMs) return "expired";
  return "active";
}

/** The rule as a drizzle condition on `api_keys`. */
export function isActiveKeySql(now: Date): SQL {
  return and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))) as SQL;
}

/** The rule as raw drizzle SQL on an aliased `api_keys` (where drizzle would leave columns unqualified). */
export function isActiveKeyRawSql(alias: string, now: Date): SQL {
  const a = sql.raw(alias);
  return sql`${a}.revoked_at is null and (${a}.expires_at is null or ${a}.expires_at > ${now.toISOString()}::timestamptz)`;
}

/** The rule as a postgres.js fragment on an aliased `api_keys`. */
export function isActiveKeyFragment(pg: Sql, alias: string, now: Date) {
  const a = pg(alias);
  return pg`${a}.revoked_at is null and (${a}.expires_at is null or ${a}.expires_at > ${now.toISOString()})`;
}
