import type { ServerResponse } from "node:http";
import type { HotPathBatch } from "./hot-path-batch.js";

// Per key, per minute, counted in Redis (shared by every web process) in a fixed window that starts
// at the key's first request, in the hot path's per-turn script. The decision is a pure function of
// the count; this module only applies it. While Redis cannot answer, each process counts in memory:
// limits then hold per process rather than globally, and no request fails because of it.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  msBeforeReset: number;
}

export const RATE_WINDOW_SECONDS = 60;
const WINDOW_MS = RATE_WINDOW_SECONDS * 1000;

/** The decision for the request that brought its window's count to `count`, `ttlMs` before it ends. */
export function evaluateRateLimit(limit: number, count: number, ttlMs: number): RateDecision {
  if (count > limit) return { allowed: false, limit, remaining: 0, msBeforeReset: ttlMs };
  return { allowed: true, limit, remaining: limit - count, msBeforeReset: ttlMs };
}

export interface KeyRateLimiter {
  consume(keyId: string, limit: number): Promise<RateDecision>;
  /** True while this process refuses the key from memory (past its limit): no Redis work for it. */
  refusing(keyId: string, limit: number): boolean;
}

export function createKeyRateLimiter(
  batch: HotPathBatch,
  redisPrefix: string,
  now: () => number = Date.now,
): KeyRateLimiter {
  // Keyed by limit and key: a key whose limit changes (a new tier) starts afresh in this process.
  // A key past its limit stays past it until its window ends (the count only grows), so this process
  // then refuses it from memory without asking Redis: a client hammering on after its 429 costs no
  // Redis work. Entries are dropped once their window has ended.
  const refusedUntil = new Map<string, number>();
  const localWindows = new Map<string, { count: number; endsAt: number }>();

  function countLocally(slot: string, at: number): [count: number, ttlMs: number] {
    let window = localWindows.get(slot);
    if (!window || window.endsAt <= at) {
      if (localWindows.size >= 10_000) dropEnded(localWindows, at);
      window = { count: 0, endsAt: at + WINDOW_MS };
      localWindows.set(slot, window);
    }
    window.count++;
    return [window.count, window.endsAt - at];
  }

  return {
    refusing(keyId, limit) {
      return (refusedUntil.get(`${limit}:${keyId}`) ?? 0) > now();
    },

    async consume(keyId, limit) {
      const slot = `${limit}:${keyId}`;
      const blockedUntil = refusedUntil.get(slot);
      if (blockedUntil !== undefined) {
        const left = blockedUntil - now();
        if (left > 0) return { allowed: false, limit, remaining: 0, msBeforeReset: left };
        refusedUntil.delete(slot);
      }
      let count: number;
      let ttlMs: number;
      try {
        [count, ttlMs] = await batch.incrementWindow(
          `${redisPrefix}:ratelimit:${keyId}`,
          1,
          RATE_WINDOW_SECONDS,
        );
      } catch {
        return evaluateRateLimit(limit, ...countLocally(slot, now()));
      }
      const decision = evaluateRateLimit(limit, count, ttlMs);
      if (!decision.allowed) {
        const at = now();
        if (refusedUntil.size >= 10_000) {
          for (const [other, until] of refusedUntil) if (until <= at) refusedUntil.delete(other);
        }
        refusedUntil.set(slot, at + ttlMs);
      }
      return decision;
    },
  };
}

function dropEnded(windows: Map<string, { endsAt: number }>, at: number): void {
  for (const [slot, window] of windows) if (window.endsAt <= at) windows.delete(slot);
}

/** OpenAI's `x-ratelimit-reset-requests` format: Go-style durations such as `20ms`, `1s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  const clamped = Math.max(0, Math.ceil(ms));
  if (clamped < 1000) return `${clamped}ms`;
  const seconds = Math.ceil(clamped / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

export function setRateLimitHeaders(res: ServerResponse, decision: RateDecision): void {
  res.setHeader("x-ratelimit-limit-requests", String(decision.limit));
  res.setHeader("x-ratelimit-remaining-requests", String(decision.remaining));
  res.setHeader("x-ratelimit-reset-requests", formatResetDuration(decision.msBeforeReset));
}

/** Whole seconds, at least 1, for `Retry-After`. */
export function retryAfterSeconds(decision: RateDecision): number {
  return Math.max(1, Math.ceil(decision.msBeforeReset / 1000));
}
