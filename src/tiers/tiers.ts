// An account's tier sets the most requests per minute any of its keys may make (RATE_LIMIT_FREE,
// RATE_LIMIT_PRO, RATE_LIMIT_ENTERPRISE) and the most tokens per minute (TOKEN_LIMIT_FREE, …); a key
// may carry lower limits of its own.

export const TIERS = ["free", "pro", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

/** Requests (or tokens) per minute, by tier. */
export type TierLimits = Record<Tier, number>;

/**
 * The limit that applies to a key, of requests or of tokens: its own when set, never above its account's tier (a tier can be
 * lowered after the key was made). The key JSON shows this too, so the console shows what /v1 does.
 */
export function effectiveRateLimit(ownLimit: number | null, tierLimit: number): number {
  return ownLimit === null ? tierLimit : Math.min(ownLimit, tierLimit);
}

/** True when a key's own limit (null or undefined: none) is above its tier's: refused, never clamped. */
export function isAboveTier(ownLimit: number | null | undefined, tierLimit: number): boolean {
  return ownLimit != null && ownLimit > tierLimit;
}

/** The configured limits of every tier (RATE_LIMIT_*, TOKEN_LIMIT_*): the Config's two fields. */
export interface TierLimitsConfig {
  rateLimitsPerMinute: TierLimits;
  tokenLimitsPerMinute: TierLimits;
}

/** What one tier allows each of its keys, per minute. */
export interface TierCeilings {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

/** The ceilings of an account's tier: the one place a tier's configured limits are read. */
export function ceilingsOfTier(config: TierLimitsConfig, tier: Tier): TierCeilings {
  return {
    requestsPerMinute: config.rateLimitsPerMinute[tier],
    tokensPerMinute: config.tokenLimitsPerMinute[tier],
  };
}
