import type { Redis } from "ioredis";
import { pendingUsageKey } from "./buffer.js";

// What the /v1 path tells Redis about tokens, gathered over one event-loop turn and sent as ONE
// script call: token-window changes (reservations, answered with the window's count; settlements and
// refunds, not answered) and the finished requests' counts for the usage buffer (buffer.ts), summed
// per field. Window changes run in the order they were asked for, so concurrent reservations of one
// key each see the count they would have seen one after another.
//
// While Redis is away (`ready()` false) nothing is sent: reservations are refused to the caller (who
// falls back to its per-process windows) and counts wait in memory, bounded, until Redis is back.
// A call that fails once sent may or may not have been applied: its counts are dropped (and logged)
// rather than sent again, so a token is never counted twice.

const SCRIPT = `
local windows = tonumber(ARGV[1])
local out = {}
for i = 1, windows do
  local key = KEYS[1 + i]
  local at = 2 + 3 * (i - 1)
  if ARGV[at + 2] == '1' and redis.call('EXISTS', key) == 0 then
    out[i] = 0
  else
    out[i] = redis.call('INCRBY', key, ARGV[at])
    if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[at + 1]) end
  end
end
for j = 2 + 3 * windows, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[j], ARGV[j + 1])
end
return out`;

const COMMAND = "keywardUsageTurn";
type WithCommand = Redis & { [COMMAND](...args: Array<string | number>): Promise<number[]> };

/** Counts held while Redis is away, at most (fields); more are dropped and logged. */
const MAX_HELD_FIELDS = 100_000;
const RETRY_MS = 1_000;

interface WindowOp {
  key: string;
  delta: number;
  ttlSeconds: number;
  /** Changes only a window that still exists (a refund must not create one). */
  onlyIfExists: boolean;
  answer?: { resolve(count: number): void; reject(err: unknown): void };
}

export interface UsageTurnBatch {
  ready(): boolean;
  /** Adds `delta` to a window and answers its count afterwards. Rejects at once while not ready. */
  addToWindow(key: string, delta: number, ttlSeconds: number): Promise<number>;
  /** A settlement or refund: fire and forget, applied only if the window still exists when negative. */
  adjustWindow(key: string, delta: number, ttlSeconds: number): void;
  /** Adds to the usage buffer's fields; fire and forget. */
  record(fields: Array<[field: string, increment: number]>): void;
  /** Sends what is held now (shutdown), resolving once Redis answered or failed. */
  drain(): Promise<void>;
}

export function createUsageTurnBatch(
  redis: Redis,
  prefix: string,
  options: { ready?: () => boolean; onLost?: (err: unknown, fields: number) => void } = {},
): UsageTurnBatch {
  const command = redis as WithCommand;
  if (typeof command[COMMAND] !== "function") redis.defineCommand(COMMAND, { lua: SCRIPT });
  const ready = options.ready ?? (() => redis.status === "ready");
  const pending = pendingUsageKey(prefix);
  let windows: WindowOp[] = [];
  let fields = new Map<string, number>();
  let scheduled = false;
  let retry: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(send);
  }

  function send(): void {
    scheduled = false;
    if (!ready()) {
      for (const op of windows) op.answer?.reject(new Error("Redis is not ready"));
      windows = [];
      if (fields.size > 0 && !retry) {
        retry = setTimeout(() => {
          retry = undefined;
          schedule();
        }, RETRY_MS);
        retry.unref();
      }
      return;
    }
    const ops = windows;
    const sent = fields;
    windows = [];
    fields = new Map();
    if (ops.length === 0 && sent.size === 0) return;
    const keys = [pending];
    const args: Array<string | number> = [ops.length];
    for (const op of ops) {
      keys.push(op.key);
      args.push(op.delta, op.ttlSeconds, op.onlyIfExists ? "1" : "0");
    }
    for (const [field, increment] of sent) args.push(field, increment);
    inFlight = command[COMMAND](keys.length, ...keys, ...args).then(
      (counts) => {
        for (let i = 0; i < ops.length; i++) ops[i]?.answer?.resolve(Number(counts[i]));
      },
      (err) => {
        for (const op of ops) op.answer?.reject(err);
        if (sent.size > 0) options.onLost?.(err, sent.size);
      },
    );
  }

  return {
    ready,
    addToWindow(key, delta, ttlSeconds) {
      if (!ready()) return Promise.reject(new Error("Redis is not ready"));
      return new Promise((resolve, reject) => {
        windows.push({ key, delta, ttlSeconds, onlyIfExists: false, answer: { resolve, reject } });
        schedule();
      });
    },
    adjustWindow(key, delta, ttlSeconds) {
      if (!ready()) return;
      windows.push({ key, delta, ttlSeconds, onlyIfExists: delta < 0 });
      schedule();
    },
    record(list) {
      for (const [field, increment] of list) {
        const before = fields.get(field);
        if (before === undefined && fields.size >= MAX_HELD_FIELDS) {
          options.onLost?.(new Error("usage held in memory is full"), 1);
          continue;
        }
        fields.set(field, (before ?? 0) + increment);
      }
      schedule();
    },
    async drain() {
      if (scheduled || fields.size > 0 || windows.length > 0) send();
      await inFlight;
    },
  };
}
