// Tokens per minute per key, decided by pure functions over the counts a store returns (Redis's
// per-turn script, or this process's memory while Redis is away).
//
// Windows are whole UTC minutes, the same for every process. Before forwarding, a request adds its
// estimate to its window's count (a reservation) and is admitted when the count BEFORE it was under
// the limit; when its answer ends, the difference to the real count is added (a settlement). So
// however many requests arrive at once, all but the last admitted one fit under the limit, and the
// window can end over it by at most that one reservation (when the estimates hold: see README).
// A refused request's reservation is given back at once.

export const TOKEN_WINDOW_MS = 60_000;

/** Completion tokens assumed for a generating request that sets no maximum. */
export const DEFAULT_COMPLETION_ESTIMATE = 1_024;
/** OpenAI's rule of thumb: about four bytes of English text per token. */
const BYTES_PER_TOKEN = 4;

export interface TokenDecision {
  allowed: boolean;
  limit: number;
  /** Tokens left in the window after this request's reservation (0 when refused). */
  remaining: number;
  msBeforeReset: number;
}

export function tokenWindowStart(nowMs: number): number {
  return nowMs - (nowMs % TOKEN_WINDOW_MS);
}

/**
 * The reservation for one request: its prompt's size in tokens (estimated from its body's bytes) plus
 * the most it may generate (`max_completion_tokens`, `max_tokens` or `max_output_tokens`, else the
 * default, for each of its choices), never more than the limit itself, so that any request can pass
 * in an empty window.
 */
export function estimateTokens(input: {
  bodyBytes: number;
  /** The body's own maximum, or undefined when it sets none. */
  maxOutputTokens: number | undefined;
  /** How many completions of up to that maximum it asks for (`n`, batched prompts); 1 if unset. */
  choices?: number;
  /** False for routes that produce no completion tokens (embeddings, rerank, score, tokenize). */
  generates: boolean;
  limit: number;
}): number {
  const prompt = Math.ceil(input.bodyBytes / BYTES_PER_TOKEN);
  const completion = input.generates
    ? (input.maxOutputTokens ?? DEFAULT_COMPLETION_ESTIMATE) * (input.choices ?? 1)
    : 0;
  return Math.max(1, Math.min(input.limit, prompt + completion));
}

/** `countAfter` is the window's count once `reserved` was added to it. */
export function evaluateTokenLimit(input: {
  countAfter: number;
  reserved: number;
  limit: number;
  nowMs: number;
}): TokenDecision {
  const before = input.countAfter - input.reserved;
  const allowed = before < input.limit;
  const used = allowed ? input.countAfter : before;
  return {
    allowed,
    limit: input.limit,
    remaining: allowed ? Math.max(0, input.limit - used) : 0,
    msBeforeReset: tokenWindowStart(input.nowMs) + TOKEN_WINDOW_MS - input.nowMs,
  };
}

/**
 * What a settlement adds, and to which window: the real count minus the reservation, to the window
 * it was reserved in while that is still the current one; once a new window has begun, only an
 * excess is charged, to the new one (a refund to a finished window would free nothing).
 */
export function settlement(input: {
  reserved: number;
  actual: number;
  reservedWindowStartMs: number;
  nowMs: number;
}): { windowStartMs: number; delta: number } | undefined {
  const delta = input.actual - input.reserved;
  const current = tokenWindowStart(input.nowMs);
  if (current === input.reservedWindowStartMs)
    return delta === 0 ? undefined : { windowStartMs: current, delta };
  return delta > 0 ? { windowStartMs: current, delta } : undefined;
}

/**
 * This process's own windows, for while Redis is away: limits then hold per process, as the
 * contract says of request limits. Entries of finished windows are dropped as new ones come.
 */
export function createLocalTokenWindows() {
  const windows = new Map<string, { startMs: number; count: number }>();
  let lastSweep = 0;
  return {
    add(keyId: string, windowStartMs: number, delta: number): number {
      if (windowStartMs > lastSweep) {
        for (const [id, w] of windows) if (w.startMs < windowStartMs) windows.delete(id);
        lastSweep = windowStartMs;
      }
      let w = windows.get(keyId);
      if (!w || w.startMs !== windowStartMs) {
        if (w && w.startMs > windowStartMs) return w.count; // a late settlement for a finished window
        w = { startMs: windowStartMs, count: 0 };
        windows.set(keyId, w);
      }
      w.count = Math.max(0, w.count + delta);
      return w.count;
    },
  };
}

export type LocalTokenWindows = ReturnType<typeof createLocalTokenWindows>;
