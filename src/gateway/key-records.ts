import type { Sql } from "../db/client.js";
import { keyStatusAt } from "../keys/active-key.js";
import type { Permission } from "../keys/permissions.js";
import { ceilingsOfTier, effectiveRateLimit, type Tier, type TierLimitsConfig } from "../tiers/tiers.js";

/** What the gateway needs to know about a key, as cached in each web process. */
export interface KeyRecord {
  id: string;
  accountId: string;
  permissions: ReadonlySet<Permission>;
  /** The model ids the key may use; null for every model. */
  models: ReadonlySet<string> | null;
  limitPerMinute: number;
  /** Tokens per minute: the key's own limit or its tier's. */
  tokenLimitPerMinute: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  accountDisabled: boolean;
  /** When the read that produced this record began (machine clock), to compare with change markers. */
  loadedAtMs: number;
}

interface KeyRow {
  id: string;
  account_id: string;
  permissions: string[];
  models: string[] | null;
  rate_limit_per_minute: number | null;
  token_limit_per_minute: number | null;
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
  tierLimits: TierLimitsConfig,
): Promise<KeyRecord | null> {
  const loadedAtMs = Date.now();
  const rows = await sql<KeyRow[]>`
    select k.id, k.account_id, k.permissions, k.models, k.rate_limit_per_minute, k.token_limit_per_minute,
           (extract(epoch from k.expires_at) * 1000)::float8 as expires_at_ms,
           (extract(epoch from k.revoked_at) * 1000)::float8 as revoked_at_ms,
           a.tier, a.disabled_at is not null as disabled
    from api_keys k join accounts a on a.id = k.account_id
    where k.key_hash = ${keyHash}`;
  const row = rows[0];
  if (!row) return null;
  const ceilings = ceilingsOfTier(tierLimits, row.tier);
  return {
    id: row.id,
    accountId: row.account_id,
    permissions: new Set(row.permissions as Permission[]),
    models: row.models === null ? null : new Set(row.models),
    limitPerMinute: effectiveRateLimit(row.rate_limit_per_minute, ceilings.requestsPerMinute),
    tokenLimitPerMinute: effectiveRateLimit(row.token_limit_per_minute, ceilings.tokensPerMinute),
    expiresAtMs: row.expires_at_ms,
    revokedAtMs: row.revoked_at_ms,
    accountDisabled: row.disabled,
    loadedAtMs,
  };
}

/** Whether a key limited to `models` (null: every model) may use `model`. */
export function mayUseModel(models: ReadonlySet<string> | null, model: string): boolean {
  return models === null || models.has(model);
}

/** Whether the key may be used at `nowMs`: active (not revoked, not expired), of an enabled account. */
export function isKeyLive(record: KeyRecord, nowMs: number): boolean {
  if (record.accountDisabled) return false;
  return keyStatusAt(record.revokedAtMs, record.expiresAtMs, nowMs) === "active";
}
