import type { Logger } from "../logging/logger.js";
import { readUpstreamsFile } from "./upstream-config.js";
import type { UpstreamSet } from "./upstream-set.js";

// UPSTREAMS_FILE read again while the process runs (the web process does it on SIGHUP): a server added
// or removed without a restart. The new file is checked exactly as at start; a bad one changes nothing
// and is logged in one line naming the entry at fault, since a typo must not empty the routing table
// of a running gateway.

export type UpstreamsReload = { ok: true; upstreams: number } | { ok: false; message: string };

export function createUpstreamsReloader(
  path: string,
  set: UpstreamSet,
  logger: Logger,
): () => Promise<UpstreamsReload> {
  // Two signals in quick succession: the second reload starts after the first has ended.
  let last: Promise<unknown> = Promise.resolve();

  async function reload(): Promise<UpstreamsReload> {
    let read: ReturnType<typeof readUpstreamsFile>;
    try {
      read = readUpstreamsFile(path);
    } catch (err) {
      // Nothing should throw here; if something does, it is said, never swallowed by the signal handler.
      read = { ok: false, message: `unexpected error: ${(err as Error)?.message ?? String(err)}` };
    }
    if (!read.ok) {
      logger.error({ path }, `UPSTREAMS_FILE not reloaded, the previous upstreams stay: ${read.message}`);
      return { ok: false, message: read.message };
    }
    await set.reconfigure(read.upstreams);
    logger.info({ path, upstreams: set.upstreams.map((u) => u.label) }, "UPSTREAMS_FILE reloaded");
    return { ok: true, upstreams: read.upstreams.length };
  }

  return () => {
    const next = last.then(reload);
    last = next.catch(() => undefined);
    return next;
  };
}
