import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config/config.js";

/**
 * Connection options for ioredis and BullMQ alike. Heroku Redis serves `rediss://` with a self-signed
 * certificate, so TLS verification is off unless REDIS_TLS_REJECT_UNAUTHORIZED asks for it.
 */
export function redisOptions(
  config: Pick<Config, "redisUrl" | "redisTlsRejectUnauthorized">,
  purpose: "commands" | "bullmq",
): RedisOptions {
  const url = new URL(config.redisUrl);
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    // Commands on the request path must fail fast when Redis is away, so callers can fall back;
    // BullMQ wants its blocking connections to wait forever instead.
    maxRetriesPerRequest: purpose === "bullmq" ? null : 1,
    // Queue commands during a (re)connect, but bound the wait: a black-holed connection must not hang
    // a request, it must fail so the caller can fall back.
    enableOfflineQueue: true,
    commandTimeout: purpose === "bullmq" ? undefined : 1_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  if (url.protocol === "rediss:") {
    options.tls = { rejectUnauthorized: config.redisTlsRejectUnauthorized };
  }
  return options;
}

export function connectRedis(
  config: Pick<Config, "redisUrl" | "redisTlsRejectUnauthorized">,
  purpose: "commands" | "bullmq" = "commands",
): Redis {
  const redis = new Redis(redisOptions(config, purpose));
  // Errors surface on commands; the 'error' event only needs a listener so it is not thrown.
  redis.on("error", () => {});
  return redis;
}
