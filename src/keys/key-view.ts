import { z } from "zod";
import type { apiKeys } from "../db/schema.js";
import { API_KEY_PREFIX } from "../secrets/secrets.js";
import { ALL_PERMISSIONS } from "./permissions.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type KeyStatus = "active" | "revoked" | "expired";

export const KEY_STATUSES = ["active", "revoked", "expired"] as const;

/** Revocation wins over expiry: a revoked key reads as revoked forever, whatever its expiry. */
export function keyStatus(row: Pick<ApiKeyRow, "revokedAt" | "expiresAt">, now: Date): KeyStatus {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

/**
 * The limit that applies to a key: its own when set, never above its account's tier (a tier can be
 * lowered after the key was made). This is what the key JSON shows, so the console shows what /v1 does.
 */
export function effectiveRateLimit(row: Pick<ApiKeyRow, "rateLimitPerMinute">, tierLimit: number): number {
  return row.rateLimitPerMinute === null ? tierLimit : Math.min(row.rateLimitPerMinute, tierLimit);
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
export function toKeyJson(row: ApiKeyRow, now: Date, tierLimit: number): KeyJson {
  return {
    id: row.id,
    name: row.name,
    prefix: API_KEY_PREFIX,
    last4: row.last4,
    permissions: row.permissions,
    rate_limit_per_minute: effectiveRateLimit(row, tierLimit),
    models: row.models,
    status: keyStatus(row, now),
    created_at: row.createdAt.toISOString(),
    last_used_at: iso(row.lastUsedAt),
    expires_at: iso(row.expiresAt),
    revoked_at: iso(row.revokedAt),
    rotated_from: row.rotatedFrom,
  };
}
