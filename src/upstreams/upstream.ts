import { type Dispatcher, Pool } from "undici";
import { type ConcurrencyGate, createConcurrencyGate } from "./concurrency-gate.js";
import type { UpstreamSpec } from "./upstream-config.js";

/** How a call to an upstream failed, which decides whether another replica may be tried. */
export type UpstreamFailure =
  /** No connection was made: the upstream cannot have started the work, so another replica may. */
  | "not_connected"
  /** Connected, then cut before any answer: the work may have started; never retried. */
  | "reset"
  /** No response headers in time. */
  | "timeout"
  /** Anything else (a bad request undici refused, say): not the replica's fault. */
  | "other";

// One upstream server: its connection pool, its cap, what is in flight on it and whether it is in
// rotation. The pool has no connection limit of its own: undici's Pool caps at `connections`, and a
// request over that cap waits silently for a connection, which for LLM streams means waiting for a
// whole stream to end. The only cap is the upstream's own `max_concurrency`, enforced by its gate,
// which answers 503 after a bounded wait instead of queueing without limit.

export interface Upstream {
  /** The configured base URL; also its label in metrics and logs (credentials never appear in it). */
  readonly label: string;
  readonly basePath: string;
  readonly apiKey: string | undefined;
  readonly anyModel: boolean;
  readonly pool: Pool;
  readonly gate: ConcurrencyGate | undefined;
  /** Requests forwarded to it and not yet ended. */
  inFlight: number;
  /** 0 while in rotation; once out, when it is next probed (epoch ms). */
  probeAtMs: number;
  /** Calls that failed before an answer began, by kind, retried elsewhere or not (for /metrics). */
  failedCalls: Record<UpstreamFailure, number>;
}

export interface UpstreamOptions {
  /** Time to the upstream's response headers; once a (possibly long) stream has started, no timeout. */
  headersTimeoutMs: number;
  /** How long a request may wait for a slot at an upstream's max_concurrency. */
  slotWaitMs: number;
}

function labelOf(url: URL): string {
  // A URL with user:password@ would otherwise put a secret into /metrics and the logs.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

export function createUpstream(spec: UpstreamSpec, options: UpstreamOptions): Upstream {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, {
    // null: as many connections as requests in flight (see above).
    connections: null,
    keepAliveTimeout: 30_000,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: 0,
    connectTimeout: Math.min(options.headersTimeoutMs, 10_000),
  });
  const gate =
    spec.maxConcurrency === undefined
      ? undefined
      : createConcurrencyGate(spec.maxConcurrency, {
          waitMs: options.slotWaitMs,
          // A line longer than the cap itself would rarely be served within the wait anyway.
          maxWaiting: spec.maxConcurrency,
        });
  return {
    label: labelOf(url),
    basePath: url.pathname.replace(/\/+$/, ""),
    apiKey: spec.apiKey,
    anyModel: spec.anyModel,
    pool,
    gate,
    inFlight: 0,
    probeAtMs: 0,
    failedCalls: { not_connected: 0, reset: 0, timeout: 0, other: 0 },
  };
}

/** A request's hold on an upstream: counted in flight (and holding a slot under a cap) until released. */
export interface Lease {
  upstream: Upstream;
  release(): void;
}

/** Takes a slot (waiting a bounded time at a cap); undefined when none came free in time. */
export async function leaseUpstream(upstream: Upstream): Promise<Lease | undefined> {
  const gate = upstream.gate;
  if (gate) {
    const slot = gate.acquire();
    if (slot !== true && !(await slot)) return undefined;
  }
  return leaseTaken(upstream);
}

/** The same without awaiting when no cap applies: the common case costs no promise. */
export function leaseAtOnce(upstream: Upstream): Lease | undefined {
  if (upstream.gate) return undefined;
  return leaseTaken(upstream);
}

function leaseTaken(upstream: Upstream): Lease {
  upstream.inFlight++;
  let released = false;
  return {
    upstream,
    release() {
      if (released) return;
      released = true;
      upstream.inFlight--;
      upstream.gate?.release();
    },
  };
}

/**
 * A GET of keyward's own to an upstream (its model list, a health probe, the look-up of a stored
 * response), with the upstream's api key and bounded in time.
 */
export function getFromUpstream(
  upstream: Upstream,
  path: string,
  timeoutMs: number,
): Promise<Dispatcher.ResponseData> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  return upstream.pool.request({
    path: upstream.basePath + path,
    method: "GET",
    headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/** The status of such a GET, its body discarded; undefined when no answer came. Never throws. */
export async function statusOfGet(
  upstream: Upstream,
  path: string,
  timeoutMs: number,
): Promise<number | undefined> {
  try {
    const res = await getFromUpstream(upstream, path, timeoutMs);
    await res.body.dump();
    return res.statusCode;
  } catch {
    return undefined;
  }
}
