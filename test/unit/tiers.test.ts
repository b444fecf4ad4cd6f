import { describe, expect, it } from "vitest";
import { ceilingsOfTier, effectiveRateLimit, isAboveTier } from "../../src/tiers/tiers.js";

const config = {
  rateLimitsPerMinute: { free: 60, pro: 600, enterprise: 6000 },
  tokenLimitsPerMinute: { free: 10_000, pro: 100_000, enterprise: 1_000_000 },
};

describe("a tier's ceilings", () => {
  it("are the configured requests and tokens per minute of that tier, not another's", () => {
    expect(ceilingsOfTier(config, "free")).toEqual({ requestsPerMinute: 60, tokensPerMinute: 10_000 });
    expect(ceilingsOfTier(config, "pro")).toEqual({ requestsPerMinute: 600, tokensPerMinute: 100_000 });
    expect(ceilingsOfTier(config, "enterprise")).toEqual({
      requestsPerMinute: 6000,
      tokensPerMinute: 1_000_000,
    });
  });

  it("cap a key's own limit, which applies when lower, and stand in for it when it has none", () => {
    const { requestsPerMinute } = ceilingsOfTier(config, "pro");
    expect(effectiveRateLimit(null, requestsPerMinute)).toBe(600);
    expect(effectiveRateLimit(100, requestsPerMinute)).toBe(100);
    // A tier lowered after the key was made: the tier wins.
    expect(effectiveRateLimit(1000, requestsPerMinute)).toBe(600);
  });

  it("refuse a key's own limit above them, and accept none or one up to them", () => {
    expect(isAboveTier(601, 600)).toBe(true);
    expect(isAboveTier(600, 600)).toBe(false);
    expect(isAboveTier(null, 600)).toBe(false);
    expect(isAboveTier(undefined, 600)).toBe(false);
  });
});
