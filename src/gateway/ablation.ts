import type { Redis } from "ioredis";
import { epochKey } from "../keys/key-state.js";
import type { HotPathBatch } from "./hot-path-batch.js";

/**
 * Parts of the /v1 path a benchmark may take out, to measure what each costs (bench/ablate.sh; the
 * benchmark's server sets them from ABL_NOREDIS, ABL_NOMETRICS, ABL_NOAUTH). A deployment takes none.
 */
export interface Ablation {
  /** Markers, rate and token windows answered from memory, key uses and usage dropped: no Redis round trip. */
  redis?: boolean;
  /** No /v1 metrics. */
  metrics?: boolean;
  /** No key check, rate limit or key-use record: only the route table and the forwarding. */
  auth?: boolean;
}

/** A batch that never calls Redis per request: the epoch is read once, then every key reads live. */
export function inMemoryBatch(redis: Redis, prefix: string): HotPathBatch {
  let epoch: Promise<string | null> | undefined;
  return {
    redis,
    ready: () => true,
    async readKeyState() {
      epoch ??= redis.get(epochKey(prefix));
      return { changedAt: null, epoch: await epoch };
    },
    incrementWindow: async () => [1, 60_000],
    adjustWindow() {},
    noteUse() {},
    addUsage() {},
    handOver: async () => true,
  };
}
