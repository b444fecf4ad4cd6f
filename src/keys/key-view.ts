import { z } from "zod";
import type { apiKeys } from "../db/schema.js";
import { API_KEY_PREFIX } from "../secrets/secrets.js";
import { effectiveRateLimit, type TierCeilings } from "../tiers/tiers.js";
import { KEY_STATUSES, type KeyStatus, keyStatusAt } from "./active-key.js";
import { ALL_PERMISSIONS } from "./permissions.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export { KEY_STATUSES, type KeyStatus } from "./active-key.js";

export function keyStatus(row: Pick<ApiKeyRow, "revokedAt" | "expiresAt">, now: Date): KeyStatus {
  return keyStatusAt(row.revokedAt?.getTime() ?? null, row.expiresAt?.getTime() ?? null, now.getTime());
}

const timestamp = z.iso.datetime({ offset: true });

export const KeySchema = z
  .object({
    id: z.string().meta({ example: "key_01jd0000000000000000000000" }),
    name: z.string(),
    prefix: z.literal(API_KEY_PREFIX),
    last4: z.string().length(4),
    permissions: z.array(z.enum(ALL_PERMISSIONS as [string, ...string[]])),
    rate_limit_per_minute: z.number().int().positive(),
    token_limit_per_minute: z
      .number()
      .int()
      .positive()
      .meta({ description: "Tokens (prompt + completion) per minute: the key's own limit or its tier's." }),
    models: z
      .array(z.string())
      .nullable()
      .meta({ description: "The model ids the key may use; null for every model." }),
    status: z.enum(KEY_STATUSES),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    rotated_from: z.string().nullable(),
  })
  .meta({ id: "ApiKey" });

export type KeyJson = z.infer<typeof KeySchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The key as clients see it: never the hash, only the last four characters of the secret. */
export function toKeyJson(row: ApiKeyRow, now: Date, tierLimits: TierCeilings): KeyJson {
  return {
    id: row.id,
    name: row.name,
    prefix: API_KEY_PREFIX,
    last4: row.last4,
    permissions: row.permissions,
    rate_limit_per_minute: effectiveRateLimit(row.rateLimitPerMinute, tierLimits.requestsPerMinute),
    token_limit_per_minute: effectiveRateLimit(row.tokenLimitPerMinute, tierLimits.tokensPerMinute),
    models: row.models,
    status: keyStatus(row, now),
    created_at: row.createdAt.toISOString(),
    last_used_at: iso(row.lastUsedAt),
    expires_at: iso(row.expiresAt),
    revoked_at: iso(row.revokedAt),
    rotated_from: row.rotatedFrom,
  };
}
