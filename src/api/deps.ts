import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";

/** Everything the web process needs, built once by the entry point (or by a test, on real services). */
export interface AppDeps {
  config: Config;
  database: Database;
  redis: Redis;
  emailQueue: Queue;
  /** Only read for /metrics queue depths; optional so that an app without it still builds. */
  maintenanceQueue?: Queue;
  logger: Logger;
  clock: Clock;
  /** True once the process has begun to stop: /readyz then answers 503 so routers send no more. */
  isStopping?: () => boolean;
  /** The upstreams behind /v1; built from the configuration (and started) when not given. */
  upstreams?: UpstreamSet;
}
