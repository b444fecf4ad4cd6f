import type { Redis } from "ioredis";
import type { GatewayDeps } from "./deps.js";
import { createHotPathBatch, type HotPathBatch } from "./hot-path-batch.js";

/** The per-turn batch, on the hot path's own Redis connection (which follows the app's). */
export function createGatewayBatch(deps: GatewayDeps): HotPathBatch {
  let usageFailing = false;
  // Key use is fire and forget: last-used bookkeeping must never slow down or fail a request.
  return createHotPathBatch(
    ownConnection(deps.redis),
    deps.config.redisPrefix,
    (err) => {
      if (err && !usageFailing) deps.logger.warn({ err }, "could not buffer key use in Redis");
      usageFailing = err !== null;
    },
    {
      onSuspend: (err, ms) =>
        deps.logger.warn(
          { err, suspendMs: ms },
          "Redis did not answer in time: /v1 checks keys against PostgreSQL and limits per process for a while",
        ),
      onResume: (outageMs) =>
        deps.logger.info(
          { outageMs },
          "Redis answers again: /v1 checks and limits are shared through it again",
        ),
    },
  );
}

function ownConnection(redis: Redis): Redis {
  const own = redis.duplicate();
  own.on("error", () => {});
  redis.once("end", () => own.disconnect());
  return own;
}
