import type { Config } from "../config/config.js";
import type { Sql } from "../db/client.js";
import type { Permission } from "../keys/permissions.js";

/** What the gateway needs to know about a key, as cached in each web process. */
export interface KeyRecord {
  id: string;
  accountId: string;
  permissions: ReadonlySet<Permission>;
  limitPerMinute: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  accountDisabled: boolean;
  /** Earliest known end of life from the shared marker (a revocation or a rotation's grace end). */
  deadAtMs: number | null;
}

type Tier = "free" | "pro" | "enterprise";

interface KeyRow {
  id: string;
  account_id: string;
  permissions: string[];
  rate_limit_per_minute: number | null;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
  tier: Tier;
  disabled: boolean;
}

/**
 * One query, one round trip: the key by its hash, with what the gateway needs from its account.
 * Times come back as epoch milliseconds (drizzle's driver set-up turns timestamps into strings).
 */
export async function findKeyRecordByHash(
  sql: Sql,
  keyHash: string,
  tierLimits: Config["rateLimitsPerMinute"],
): Promise<KeyRecord | null> {
  const rows = await sql<KeyRow[]>`
    select k.id, k.account_id, k.permissions, k.rate_limit_per_minute,
           (extract(epoch from k.expires_at) * 1000)::float8 as expires_at_ms,
           (extract(epoch from k.revoked_at) * 1000)::float8 as revoked_at_ms,
           a.tier, a.disabled_at is not null as disabled
    from api_keys k join accounts a on a.id = k.account_id
    where k.key_hash = ${keyHash}`;
  const row = rows[0];
  if (!row) return null;
  const tierLimit = tierLimits[row.tier] ?? tierLimits.free;
  return {
    id: row.id,
    accountId: row.account_id,
    permissions: new Set(row.permissions as Permission[]),
    // A key's own limit may only lower its tier's (a later downgrade of the tier lowers it too).
    limitPerMinute: Math.min(row.rate_limit_per_minute ?? tierLimit, tierLimit),
    expiresAtMs: row.expires_at_ms,
    revokedAtMs: row.revoked_at_ms,
    accountDisabled: row.disabled,
    deadAtMs: null,
  };
}

/** Whether the key may be used at `nowMs`: not revoked, expired, past its marker or of a disabled account. */
export function isKeyLive(record: KeyRecord, nowMs: number): boolean {
  if (record.accountDisabled) return false;
  for (const end of [record.revokedAtMs, record.expiresAtMs, record.deadAtMs]) {
    if (end !== null && end <= nowMs) return false;
  }
  return true;
}
