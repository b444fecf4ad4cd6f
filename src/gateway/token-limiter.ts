import type { ServerResponse } from "node:http";
import {
  createLocalTokenWindows,
  evaluateTokenLimit,
  settlement,
  TOKEN_WINDOW_MS,
  type TokenDecision,
  tokenWindowStart,
} from "../token-limits/token-limit.js";
import type { HotPathBatch } from "./hot-path-batch.js";
import { formatResetDuration } from "./rate-limit.js";

// Applies token-limits/token-limit.ts's decisions: reservations are counters of the hot path's
// per-turn script (shared by every web process through Redis), settlements its adjustments; while
// Redis cannot answer, this process's own windows (the contract's outage rule for limits).

export const tokenWindowKey = (prefix: string, keyId: string, windowStartMs: number) =>
  `${prefix}:tokens:${keyId}:${windowStartMs}`;

/** A window outlives its minute so that a settlement arriving just after it can still find it. */
const WINDOW_TTL_SECONDS = (2 * TOKEN_WINDOW_MS) / 1000;

export interface TokenReservation {
  decision: TokenDecision;
  keyId: string;
  reserved: number;
  windowStartMs: number;
  store: "redis" | "local";
}

export function createTokenLimiter(batch: HotPathBatch, prefix: string) {
  const local = createLocalTokenWindows();

  function adjust(store: TokenReservation["store"], keyId: string, windowStartMs: number, delta: number) {
    if (store === "local") local.add(keyId, windowStartMs, delta);
    else batch.adjustWindow(tokenWindowKey(prefix, keyId, windowStartMs), delta);
  }

  return {
    /** Reserves `estimate` tokens; a refused request's reservation is given back at once. */
    async reserve(keyId: string, limit: number, estimate: number, nowMs: number): Promise<TokenReservation> {
      const windowStartMs = tokenWindowStart(nowMs);
      let countAfter: number;
      let store: TokenReservation["store"] = "redis";
      try {
        [countAfter] = await batch.incrementWindow(
          tokenWindowKey(prefix, keyId, windowStartMs),
          estimate,
          WINDOW_TTL_SECONDS,
        );
      } catch {
        store = "local";
        countAfter = local.add(keyId, windowStartMs, estimate);
      }
      const decision = evaluateTokenLimit({ countAfter, reserved: estimate, limit, nowMs });
      if (!decision.allowed) adjust(store, keyId, windowStartMs, -estimate);
      return { decision, keyId, reserved: decision.allowed ? estimate : 0, windowStartMs, store };
    },

    /** Replaces an admitted request's reservation by what it really used. */
    settle(reservation: TokenReservation, actualTokens: number, nowMs: number): void {
      if (!reservation.decision.allowed) return;
      const change = settlement({
        reserved: reservation.reserved,
        actual: actualTokens,
        reservedWindowStartMs: reservation.windowStartMs,
        nowMs,
      });
      if (change) adjust(reservation.store, reservation.keyId, change.windowStartMs, change.delta);
    },
  };
}

export type TokenLimiter = ReturnType<typeof createTokenLimiter>;

/** OpenAI's token headers, beside the request ones. */
export function setTokenLimitHeaders(res: ServerResponse, decision: TokenDecision): void {
  res.setHeader("x-ratelimit-limit-tokens", String(decision.limit));
  res.setHeader("x-ratelimit-remaining-tokens", String(decision.remaining));
  res.setHeader("x-ratelimit-reset-tokens", formatResetDuration(decision.msBeforeReset));
}
