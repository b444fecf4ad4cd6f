import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createLocalTokenWindows,
  DEFAULT_COMPLETION_ESTIMATE,
  estimateTokens,
  evaluateTokenLimit,
  settlement,
  tokenWindowStart,
} from "../../src/token-limits/token-limit.js";

const MINUTE = Date.UTC(2026, 2, 10, 12, 0, 0);

describe("token limit decisions", () => {
  it("estimates the prompt from the body and adds the maximum asked, capped at the limit", () => {
    expect(estimateTokens({ bodyBytes: 400, maxOutputTokens: 50, generates: true, limit: 1_000 })).toBe(150);
    expect(
      estimateTokens({ bodyBytes: 400, maxOutputTokens: undefined, generates: true, limit: 10_000 }),
    ).toBe(100 + DEFAULT_COMPLETION_ESTIMATE);
    expect(estimateTokens({ bodyBytes: 400, maxOutputTokens: 5_000, generates: false, limit: 1_000 })).toBe(
      100,
    );
    expect(estimateTokens({ bodyBytes: 40_000, maxOutputTokens: 5_000, generates: true, limit: 1_000 })).toBe(
      1_000,
    );
  });

  it("reserves the maximum for each choice a request asks for", () => {
    const input = { bodyBytes: 400, generates: true, limit: 100_000, choices: 4 };
    expect(estimateTokens({ ...input, maxOutputTokens: 50 })).toBe(100 + 4 * 50);
    expect(estimateTokens({ ...input, maxOutputTokens: undefined })).toBe(
      100 + 4 * DEFAULT_COMPLETION_ESTIMATE,
    );
    expect(estimateTokens({ ...input, maxOutputTokens: 50, generates: false })).toBe(100);
  });

  it("admits while the count before the reservation is under the limit, and says when the window resets", () => {
    const now = MINUTE + 15_000;
    expect(evaluateTokenLimit({ countAfter: 90, reserved: 40, limit: 100, nowMs: now })).toEqual({
      allowed: true,
      limit: 100,
      remaining: 10,
      msBeforeReset: 45_000,
    });
    expect(evaluateTokenLimit({ countAfter: 140, reserved: 40, limit: 100, nowMs: now })).toMatchObject({
      allowed: false,
      remaining: 0,
    });
  });

  it("however many reservations race, the admitted ones overrun the limit by at most one of them", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 60 }), (estimates) => {
        let count = 0;
        let admitted = 0;
        for (const reserved of estimates) {
          count += reserved;
          const d = evaluateTokenLimit({ countAfter: count, reserved, limit: 100, nowMs: MINUTE });
          if (d.allowed) admitted += reserved;
          else count -= reserved; // the refund
        }
        expect(admitted).toBeLessThan(100 + Math.max(0, ...estimates));
      }),
    );
  });

  it("settles to the real count in the reservation's window, and charges only an excess once it is over", () => {
    const reserved = MINUTE + 1_000;
    expect(settlement({ reserved: 50, actual: 20, reservedWindowStartMs: MINUTE, nowMs: reserved })).toEqual({
      windowStartMs: MINUTE,
      delta: -30,
    });
    expect(
      settlement({ reserved: 50, actual: 50, reservedWindowStartMs: MINUTE, nowMs: reserved }),
    ).toBeUndefined();
    expect(
      settlement({ reserved: 50, actual: 20, reservedWindowStartMs: MINUTE, nowMs: MINUTE + 61_000 }),
    ).toBeUndefined();
    expect(
      settlement({ reserved: 50, actual: 80, reservedWindowStartMs: MINUTE, nowMs: MINUTE + 61_000 }),
    ).toEqual({
      windowStartMs: tokenWindowStart(MINUTE + 61_000),
      delta: 30,
    });
  });

  it("keeps per-process windows while Redis is away, starting afresh each minute", () => {
    const local = createLocalTokenWindows();
    expect(local.add("k", MINUTE, 60)).toBe(60);
    expect(local.add("k", MINUTE, 50)).toBe(110);
    expect(local.add("k", MINUTE, -50)).toBe(60);
    expect(local.add("k", MINUTE + 60_000, 10)).toBe(10);
    expect(local.add("k", MINUTE, -60)).toBe(10);
  });
});
