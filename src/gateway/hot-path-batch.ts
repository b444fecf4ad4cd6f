import type { Redis } from "ioredis";
import { runTurn, type TurnInput, type TurnOutput } from "./hot-path-script.js";
import { createBreaker } from "./redis-breaker.js";

// The /v1 requests of one event-loop turn share one Redis script call (hot-path-script.ts): under
// load a turn holds the requests of many connections, so the cost of a round trip (commands,
// promises, encoding, socket writes, and Redis's own work) is paid once for all of them. One call
// that requests wait on (key markers, limit windows) is out at a time: what arrives meanwhile is
// gathered and sent when it answers, so that a burst of requests, arriving a few per turn, is not a
// call per turn. A call carrying only what nobody waits for (settlements, uses, counts) holds nothing
// back.

export interface KeyState {
  /** The key's change marker (epoch ms as text), or null when none was published. */
  changedAt: string | null;
  /** The shared epoch at that moment, or null when Redis lost it. */
  epoch: string | null;
}

/** A window's count after the increment, and the ms before it ends. */
export type WindowCount = [consumed: number, ttlMs: number];

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

interface Turn {
  markers: Map<string, Array<Waiter<KeyState>>>;
  windows: Map<string, { seconds: number; calls: Array<{ points: number; waiter: Waiter<WindowCount> }> }>;
  adjustments: Map<string, number>;
  uses: Map<string, { keyId: string; at: Date }>;
  fields: Map<string, number>;
}

/** Usage fields kept while Redis is away, at most (default); more are dropped and reported. */
const MAX_HELD_FIELDS = 100_000;

export interface HotPathBatch {
  /** The connection the batch sends on. */
  redis: Redis;
  /**
   * True while the connection can take commands and the breaker lets calls through; callers fall
   * back (keys to PostgreSQL, limits to memory) otherwise, without waiting.
   */
  ready(): boolean;
  readKeyState(keyId: string): Promise<KeyState>;
  /** Adds `points` to a window; each caller of a turn sees the count as if the calls ran in order. */
  incrementWindow(windowKey: string, points: number, seconds: number): Promise<WindowCount>;
  /** Adds to a window only if it still exists; fire and forget (dropped while not ready). */
  adjustWindow(windowKey: string, amount: number): void;
  /**
   * A key's use, for its last-used time; fire and forget. Kept in memory while Redis is away (one
   * entry per key, bounded as usage fields are) and sent like them.
   */
  noteUse(keyId: string, at: Date): void;
  /**
   * Adds to usage buffer fields (a finished request's counts); fire and forget. Kept in memory while
   * Redis is away (bounded) and sent with the first turn after, or on their own within `heldRetryMs`
   * of its return (`handOver` when the process stops); lost only if a sent call fails.
   */
  addUsage(fields: Array<[field: string, increment: number]>): void;
  /**
   * For a process that stops: sends what is kept and waits for every call out, at most `timeoutMs`.
   * True when all of it reached Redis; false when Redis stayed away, a call carrying counts failed, or
   * one was still out at the deadline: counts are lost (or, for that last, may be).
   */
  handOver(timeoutMs: number): Promise<boolean>;
}

export interface HotPathBatchOptions {
  /** How long a timed-out call suspends the batch (default 5 s). */
  suspendMs?: number;
  /** The time, in ms, for the suspension (tests drive it). */
  now?: () => number;
  /** Told when a timed-out call suspends the batch (once per outage, not at each failed retry). */
  onSuspend?: (err: Error, suspendMs: number) => void;
  /** Told when Redis answers again after a suspension, with how long the outage lasted. */
  onResume?: (outageMs: number) => void;
  /** Usage fields kept while Redis is away, at most (default 100,000); tests make it small. */
  maxHeldFields?: number;
  /** How often counts kept while Redis was away are offered on their own (default 1 s). */
  heldRetryMs?: number;
}

/**
 * `redis` should be a connection of the hot path's own. `usageSettled` hears, once per turn with
 * uses, whether they were recorded. A call that times out suspends the batch (redis-breaker.ts).
 * A script that timed out may still run if Redis wakes up: its increments and uses then count too,
 * after its requests used the per-process limits instead.
 */
export function createHotPathBatch(
  redis: Redis,
  prefix: string,
  usageSettled: (err: unknown) => void,
  options: HotPathBatchOptions = {},
): HotPathBatch {
  const breaker = createBreaker<Turn>({
    suspendMs: options.suspendMs,
    now: options.now,
    onOpen: options.onSuspend,
    onClose: options.onResume,
  });
  const maxHeldFields = options.maxHeldFields ?? MAX_HELD_FIELDS;
  let turn: Turn | undefined;
  let held = new Map<string, number>();
  let heldUses = new Map<string, { keyId: string; at: Date }>();
  /** A call that requests wait on is out: the next turn is sent when it answers. */
  let calling = false;
  /** Calls out of any kind, for a hand-over that must wait for them. */
  let outstanding = 0;
  /** Usage or uses a failed call carried since the last hand-over began: lost, not handed over. */
  let lost = false;

  const notReady = () => new Error("Redis connection is not ready (or the hot path is suspended)");

  // Counts and key uses kept while Redis was away leave with the next turn; on a process that no
  // request reaches once Redis is back (a quiet hour, a replica the router stopped using) that turn may
  // never come, and they would be missing from usage and last-used times: they are offered on their own.
  // Stopped with the connection (quit or disconnect).
  const retry = setInterval(() => {
    if (held.size + heldUses.size > 0 && !turn && ready()) current();
  }, options.heldRetryMs ?? 1_000).unref();
  redis.once("end", () => clearInterval(retry));

  /** Whether `call` (the turn being gathered, unless another is named) may go to Redis now. */
  function ready(call = turn): boolean {
    return redis.status === "ready" && breaker.allows(call);
  }

  function current(): Turn {
    if (!turn) {
      turn = {
        markers: new Map(),
        windows: new Map(),
        adjustments: new Map(),
        uses: heldUses,
        fields: held,
      };
      held = new Map();
      heldUses = new Map();
      breaker.chooseTrial(turn);
      if (!calling) setImmediate(send);
    }
    return turn;
  }

  function send(): void {
    const batch = turn;
    turn = undefined;
    if (!batch) return;
    if (!ready(batch)) {
      // Gathered while a call was out that then failed (Redis gone, or silent): its callers fall back
      // at once rather than wait out a timeout of their own; its usage counts are kept for the first
      // turn after.
      keep(held, batch.fields);
      keepUses(batch.uses.values());
      batch.fields = new Map();
      batch.uses = new Map();
      fail(batch, notReady());
      return;
    }
    const awaited = batch.markers.size + batch.windows.size > 0;
    if (awaited) calling = true;
    const input: TurnInput = {
      markers: [...batch.markers.keys()],
      counters: [],
      adjustments: [...batch.adjustments].map(([key, amount]) => ({ key, amount })),
      uses: [...batch.uses.values()].map((use) => ({ ...use, count: 0 })),
      fields: [...batch.fields],
    };
    for (const [key, window] of batch.windows) {
      let amount = 0;
      for (const call of window.calls) amount += call.points;
      input.counters.push({ key, amount, ttlSeconds: window.seconds });
    }
    // The next turn is let go first: on a failure, fail() then opens the breaker before that turn's
    // send (a setImmediate away) asks it whether to go.
    const answered = () => {
      if (!awaited) return;
      calling = false;
      if (turn) setImmediate(send);
    };
    outstanding++;
    runTurn(redis, prefix, input)
      .finally(() => {
        outstanding--;
        answered();
      })
      .then((out) => {
        breaker.succeeded(batch);
        settle(batch, out);
      })
      .catch((err: unknown) => fail(batch, err));
  }

  /** Hands each waiter its part of the answer, in the order the input was built. */
  function settle(batch: Turn, out: TurnOutput): void {
    let i = 0;
    for (const waiters of batch.markers.values()) {
      const state: KeyState = { changedAt: out.changedAt[i++] ?? null, epoch: out.epoch };
      for (const waiter of waiters) waiter.resolve(state);
    }
    i = 0;
    for (const { calls } of batch.windows.values()) {
      const counter = out.counters[i++];
      if (!counter) throw new Error("the hot path script answered fewer counters than it was sent");
      // The sum was added at once; each caller sees the count as if the calls had run in order.
      let before = counter.total;
      for (const call of calls) before -= call.points;
      for (const call of calls) {
        before += call.points;
        call.waiter.resolve([before, counter.ttlMs]);
      }
    }
    if (batch.uses.size + batch.fields.size > 0) {
      if (out.usageError) lost = true;
      usageSettled(out.usageError ? new Error(out.usageError) : null);
    }
  }

  /**
   * Adds counts to usage fields, within the bound on what is kept while Redis is away: a field not yet
   * there is dropped, and reported, once the map is full. Both ways in (a finished request's counts,
   * and a refused turn's counts put back) go through here, so the bound holds through any outage.
   */
  function keep(fields: Map<string, number>, counts: Iterable<[field: string, increment: number]>): void {
    let dropped = false;
    for (const [field, increment] of counts) {
      const before = fields.get(field);
      if (before === undefined && fields.size >= maxHeldFields) {
        dropped = true;
        continue; // a field already kept still takes its count: that costs no room
      }
      fields.set(field, (before ?? 0) + increment);
    }
    if (dropped) usageSettled(new Error("usage kept while Redis is away is full: counts dropped"));
  }

  /** A use kept while Redis is away: the latest per key, within the same bound as usage fields. */
  function keepUses(uses: Iterable<{ keyId: string; at: Date }>): void {
    let dropped = false;
    for (const use of uses) {
      const before = heldUses.get(use.keyId);
      if (!before && heldUses.size >= maxHeldFields) dropped = true;
      else if (!before || use.at.getTime() > before.at.getTime()) heldUses.set(use.keyId, use);
    }
    if (dropped) usageSettled(new Error("key uses kept while Redis is away are full: uses dropped"));
  }

  function fail(batch: Turn, err: unknown): void {
    breaker.failed(batch, err);
    for (const waiters of batch.markers.values()) for (const waiter of waiters) waiter.reject(err);
    for (const window of batch.windows.values()) for (const call of window.calls) call.waiter.reject(err);
    if (batch.uses.size + batch.fields.size > 0) {
      lost = true;
      usageSettled(err ?? new Error("key use not recorded"));
    }
  }

  return {
    redis,
    ready,

    readKeyState(keyId) {
      if (!ready()) return Promise.reject(notReady());
      return new Promise((resolve, reject) => {
        const markers = current().markers;
        const waiters = markers.get(keyId);
        if (waiters) waiters.push({ resolve, reject });
        else markers.set(keyId, [{ resolve, reject }]);
      });
    },

    incrementWindow(windowKey, points, seconds) {
      if (!ready()) return Promise.reject(notReady());
      return new Promise((resolve, reject) => {
        const windows = current().windows;
        const call = { points, waiter: { resolve, reject } };
        const window = windows.get(windowKey);
        if (!window) windows.set(windowKey, { seconds, calls: [call] });
        else {
          window.calls.push(call);
          window.seconds = Math.max(window.seconds, seconds);
        }
      });
    },

    adjustWindow(windowKey, amount) {
      if (!ready()) return;
      const adjustments = current().adjustments;
      adjustments.set(windowKey, (adjustments.get(windowKey) ?? 0) + amount);
    },

    noteUse(keyId, at) {
      if (!ready()) {
        keepUses([{ keyId, at }]);
        return;
      }
      const uses = current().uses;
      const use = uses.get(keyId);
      if (!use) uses.set(keyId, { keyId, at });
      else if (at.getTime() > use.at.getTime()) use.at = at;
    },

    addUsage(list) {
      keep(ready() ? current().fields : held, list);
    },

    async handOver(timeoutMs) {
      const until = Date.now() + timeoutMs;
      lost = false;
      for (;;) {
        const kept = held.size + heldUses.size > 0;
        if (!kept && !turn && outstanding === 0) return !lost;
        // Kept, or still out (its fate unknown): not handed over.
        if (Date.now() >= until) return false;
        if (kept && !turn && ready()) current();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
