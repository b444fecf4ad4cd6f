import type { ServerResponse } from "node:http";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { HotPathBatch } from "./hot-path-batch.js";

// Per key, per minute, shared by every web process through Redis. When Redis cannot answer, each
// process falls back to its own in-memory limiter (rate-limiter-flexible's insurance limiter): limits
// then hold per process rather than globally, and no request fails because of it.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  msBeforeReset: number;
}

const WINDOW_SECONDS = 60;

/**
 * RateLimiterRedis, with its one store step (the window's increment) sent in the hot path's per-turn
 * batch instead of as a script call of its own; the batch runs the same Redis commands on the same key.
 * Everything else (results, in-memory blocking, the insurance limiter, the rarer calls) is the
 * library's own.
 */
class TurnBatchedRateLimiterRedis extends RateLimiterRedis {
  private readonly batch: HotPathBatch;

  constructor(options: ConstructorParameters<typeof RateLimiterRedis>[0], batch: HotPathBatch) {
    super(options);
    this.batch = batch;
  }

  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<unknown> {
    const seconds = Math.floor(msDuration / 1000);
    if (forceExpire || seconds <= 0 || !Number.isInteger(points)) {
      return (RateLimiterRedis.prototype as unknown as Upsert)._upsert.call(
        this,
        rlKey,
        points,
        msDuration,
        forceExpire,
      );
    }
    return this.batch.incrementWindow(rlKey, points, seconds);
  }
}

type Upsert = {
  _upsert(rlKey: string, points: number, msDuration: number, forceExpire: boolean): Promise<unknown>;
};

export function createKeyRateLimiter(batch: HotPathBatch, redisPrefix: string) {
  // One limiter per distinct limit: they share one counter per key, each reads it against its points.
  const limiters = new Map<number, RateLimiterRedis>();

  function limiterFor(points: number): RateLimiterRedis {
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = new TurnBatchedRateLimiterRedis(
        {
          storeClient: batch.redis,
          keyPrefix: `${redisPrefix}:ratelimit`,
          points,
          duration: WINDOW_SECONDS,
          // A key past its limit stays past it until its window ends (the count only grows), so this
          // process then refuses it from memory, until that end, without asking Redis: a client
          // hammering on after its 429 costs no Redis work.
          inMemoryBlockOnConsumed: points + 1,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({
            keyPrefix: "ratelimit-local",
            points,
            duration: WINDOW_SECONDS,
          }),
        },
        batch,
      );
      limiters.set(points, limiter);
    }
    return limiter;
  }

  return {
    async consume(keyId: string, limit: number): Promise<RateDecision> {
      try {
        const res = await limiterFor(limit).consume(keyId);
        return { allowed: true, limit, remaining: res.remainingPoints, msBeforeReset: res.msBeforeNext };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return { allowed: false, limit, remaining: 0, msBeforeReset: rejection.msBeforeNext };
        }
        throw rejection;
      }
    },
  };
}

export type KeyRateLimiter = ReturnType<typeof createKeyRateLimiter>;

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
