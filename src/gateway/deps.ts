import type { Redis } from "ioredis";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../logging/logger.js";
import type { Clock } from "../time/clock.js";
import type { UpstreamSet } from "../upstreams/upstream-set.js";
import type { UpstreamConfig } from "./forward.js";

/** What the gateway needs from the web process: the app's deps satisfy it as they are. */
export interface GatewayDeps {
  config: UpstreamConfig & Pick<Config, "redisPrefix" | "rateLimitsPerMinute" | "tokenLimitsPerMinute">;
  database: Database;
  /** The app's connection; the gateway sends its per-turn script on a duplicate of its own. */
  redis: Redis;
  logger: Logger;
  clock: Clock;
  /** The upstreams, their models and their balancer (built by the app, or by a test that drives them). */
  upstreams: UpstreamSet;
}
