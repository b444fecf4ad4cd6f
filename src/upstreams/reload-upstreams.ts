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
    const read = readUpstreamsFile(path);
    if (!read.ok) {
      logger.error({ path }, `UPSTREAMS_FILE not reloaded, the previous upstreams stay: ${read.message}`);
      return { ok: false, message: read.message };
    }
    await set.reconfigure(read.upstreams);
    logger.info({ path, upstreams: set.upstreams.map((u) => u.label) }, "UPSTREAMS_FILE reloaded");
    return { ok: true, upstreams: read.upstreams.length };
  }

  // Whatever fails unexpectedly is said: the signal handler drops this promise, so a rejection would
  // otherwise vanish without a line.
  const reloadOrSay = () =>
    reload().catch((err: unknown): UpstreamsReload => {
      const message = `unexpected error: ${(err as Error)?.message ?? String(err)}`;
      logger.error({ path }, `UPSTREAMS_FILE not reloaded: ${message}`);
      return { ok: false, message };
    });

  return () => {
    const next = last.then(reloadOrSay);
    last = next.catch(() => undefined);
    return next;
  };
}
