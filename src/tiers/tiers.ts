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
