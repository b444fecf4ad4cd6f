import type { UsageTurnBatch } from "../usage/usage-turn-batch.js";
import {
  createLocalTokenWindows,
  evaluateTokenLimit,
  settlement,
  TOKEN_WINDOW_MS,
  type TokenDecision,
  tokenWindowStart,
} from "./token-limit.js";

// Applies token-limit.ts's decisions to a store: the windows in Redis (through the per-turn batch),
// shared by every web process, or this process's own while Redis cannot answer (the contract's
// outage rule for limits).

export const tokenWindowKey = (prefix: string, keyId: string, windowStartMs: number) =>
  `${prefix}:tokens:${keyId}:${windowStartMs}`;

/** A window outlives its minute so that a settlement arriving just after can still find it. */
const WINDOW_TTL_SECONDS = (2 * TOKEN_WINDOW_MS) / 1000;

export interface TokenReservation {
  decision: TokenDecision;
  keyId: string;
  reserved: number;
  windowStartMs: number;
  store: "redis" | "local";
}

export function createTokenLimiter(batch: UsageTurnBatch, prefix: string) {
  const local = createLocalTokenWindows();

  function adjust(store: TokenReservation["store"], keyId: string, windowStartMs: number, delta: number) {
    if (store === "local") local.add(keyId, windowStartMs, delta);
    else batch.adjustWindow(tokenWindowKey(prefix, keyId, windowStartMs), delta, WINDOW_TTL_SECONDS);
  }

  return {
    /** Reserves `estimate` tokens for a request; a refused request's reservation is given back at once. */
    async reserve(keyId: string, limit: number, estimate: number, nowMs: number): Promise<TokenReservation> {
      const windowStartMs = tokenWindowStart(nowMs);
      let countAfter: number;
      let store: TokenReservation["store"] = "redis";
      try {
        countAfter = await batch.addToWindow(
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
