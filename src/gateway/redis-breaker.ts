// A circuit breaker for the hot path's Redis connection. A call that times out (Redis black-holed:
// the connection looks up, nothing answers, so ioredis only notices through the command timeout)
// opens it for `suspendMs`: meanwhile every request falls back at once instead of each waiting out
// its own timeout. Then one trial (one turn, alone) is let through: its answer closes the breaker,
// its timeout opens it again. `onOpen` hears only the first opening of an outage, `onClose` its end.

export interface BreakerOptions {
  /** How long a timed-out call keeps the breaker open (default 5 s). */
  suspendMs?: number;
  /** The time, in ms (tests drive it). */
  now?: () => number;
  onOpen?: (err: Error, suspendMs: number) => void;
  /** A trial answered: the outage that began `outageMs` ago is over. */
  onClose?: (outageMs: number) => void;
}

export interface Breaker<Trial> {
  /** Whether a call may go out now; a breaker that has waited long enough starts its trial. */
  allows(current: Trial | undefined): boolean;
  /** Tells the breaker which call is the trial, when one is due and none is chosen yet. */
  chooseTrial(candidate: Trial): void;
  succeeded(call: Trial): void;
  failed(call: Trial, err: unknown): void;
}

export function createBreaker<Trial>(options: BreakerOptions = {}): Breaker<Trial> {
  const suspendMs = options.suspendMs ?? 5_000;
  const now = options.now ?? Date.now;
  let mode: "closed" | "open" | "probing" = "closed";
  let openUntil = 0;
  let trial: Trial | undefined;
  let openedAt = 0;

  function open(err: Error): void {
    const wasClosed = mode === "closed";
    if (wasClosed) openedAt = now();
    mode = "open";
    openUntil = now() + suspendMs;
    trial = undefined;
    if (wasClosed) options.onOpen?.(err, suspendMs);
  }

  return {
    allows(current) {
      if (mode === "closed") return true;
      if (mode === "open") {
        if (now() < openUntil) return false;
        mode = "probing";
        trial = undefined;
        return true;
      }
      // Probing: callers may join the trial while it is still being gathered, not after.
      return trial === undefined || trial === current;
    },
    chooseTrial(candidate) {
      if (mode === "probing" && trial === undefined) trial = candidate;
    },
    succeeded(call) {
      if (call === trial) {
        mode = "closed";
        trial = undefined;
        options.onClose?.(now() - openedAt);
      }
    },
    failed(call, err) {
      const timedOut = err instanceof Error && /timed out/i.test(err.message);
      if (timedOut && (mode === "closed" || call === trial)) open(err);
      else if (call === trial) {
        // The trial failed otherwise (not a silence): Redis is reachable again, or plainly down.
        mode = "closed";
        trial = undefined;
      }
    },
  };
}
