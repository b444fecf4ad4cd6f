// A cap on one upstream's requests in flight (its `max_concurrency`). At the cap, a request waits for a
// slot in arrival order, but only for a bounded time and in a bounded line: an LLM stream can hold a
// slot for minutes, and a queue without limit would only turn an overload into timeouts everywhere.

export interface ConcurrencyGate {
  readonly max: number;
  /** How long a request waits in line before giving up (UPSTREAM_QUEUE_TIMEOUT_MS). */
  readonly waitMs: number;
  readonly inUse: number;
  readonly waiting: number;
  /** True at once when a slot is free; otherwise a promise of a slot (true) or of giving up (false). */
  acquire(): true | Promise<boolean>;
  release(): void;
}

interface Waiter {
  grant: (granted: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function createConcurrencyGate(
  max: number,
  options: { waitMs: number; maxWaiting: number },
): ConcurrencyGate {
  let inUse = 0;
  const line: Waiter[] = [];

  function acquire(): true | Promise<boolean> {
    if (inUse < max) {
      inUse++;
      return true;
    }
    if (line.length >= options.maxWaiting || options.waitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const at = line.indexOf(waiter);
          if (at !== -1) line.splice(at, 1);
          resolve(false);
        }, options.waitMs),
      };
      line.push(waiter);
    });
  }

  function release(): void {
    const next = line.shift();
    if (next) {
      // The slot passes straight to the next in line: inUse stays the same.
      clearTimeout(next.timer);
      next.grant(true);
    } else if (inUse > 0) inUse--;
  }

  return {
    max,
    waitMs: options.waitMs,
    get inUse() {
      return inUse;
    },
    get waiting() {
      return line.length;
    },
    acquire,
    release,
  };
}
