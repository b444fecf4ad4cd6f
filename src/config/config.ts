import { getNextMillis } from "bullmq";
import { z } from "zod";
import {
  chooseUpstreams,
  parseUpstreamsJson,
  readUpstreamsFile,
  type UpstreamSpec,
  upstreamListSetting,
} from "../upstreams/upstream-config.js";
import { sessionCookieSameSite } from "./cookie-site.js";

// The environment is parsed once per process, at its entry point; everything else receives the typed
// Config. Units are in the names so that a reader never has to guess them.

const commaList = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

const url = z.url({ protocol: /^https?$/ });
const positiveInt = z.coerce.number().int().positive();

// Parsed as the worker's schedulers will parse it (BullMQ's cron parser), so a schedule that would
// fail there stops the process at start instead of silently never running.
const cron = z
  .string()
  .min(9)
  .refine((pattern) => {
    try {
      getNextMillis(Date.now(), { pattern, tz: "UTC" });
      return true;
    } catch {
      return false;
    }
  }, "must be a cron expression such as 0 9 * * *");

const booleanish = z.enum(["true", "false", "1", "0", ""]).transform((v) => v === "true" || v === "1");

export const envSchema = z.object({
  NODE_ENV: z.string().default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .default("postgres://postgres@127.0.0.1:5432/keyward"),
  DATABASE_SSL: z.enum(["auto", "off", "no-verify", "verify"]).default("auto"),
  DATABASE_POOL_MAX: positiveInt.default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .default("redis://127.0.0.1:6379"),
  REDIS_TLS_REJECT_UNAUTHORIZED: booleanish.default(false),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default("keyward"),
  PUBLIC_URL: url.default("http://localhost:3000"),
  // Unset: the bundled console, PUBLIC_URL + /console.
  CONSOLE_URL: url.optional(),
  // Where the built console is (dist/console unless set): tests build their own copy.
  CONSOLE_DIR: z.string().min(1).optional(),
  // Set by `npm run dev`: console pages reload themselves after each rebuild.
  CONSOLE_LIVE_RELOAD: booleanish.default(false),
  CONSOLE_ORIGINS: commaList.pipe(z.array(url)).default([]),
  UPSTREAM_URL: url.default("http://127.0.0.1:8000"),
  UPSTREAM_API_KEY: z.string().optional(),
  UPSTREAM_TIMEOUT_MS: positiveInt.default(60_000),
  // Several upstreams routed by model (see src/upstreams/upstream-config.ts); UPSTREAM_URL otherwise.
  UPSTREAMS: upstreamListSetting(parseUpstreamsJson).optional(),
  UPSTREAMS_FILE: upstreamListSetting((path) => readUpstreamsFile(path)).optional(),
  // Browser origins allowed to call /v1 (CORS); none by default.
  V1_CORS_ORIGINS: commaList.pipe(z.array(url)).default([]),
  PROXY_BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024),
  // 32 bytes for AES-256-GCM, as 64 hex characters (openssl rand -hex 32); without it, second-factor
  // enrolment is refused rather than storing secrets unencrypted.
  TOTP_ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (32 bytes)")
    .optional(),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: url.optional(),
  EMAIL_FROM: z.string().min(3).default("keyward <no-reply@localhost>"),
  RATE_LIMIT_FREE: positiveInt.default(60),
  RATE_LIMIT_PRO: positiveInt.default(600),
  RATE_LIMIT_ENTERPRISE: positiveInt.default(6000),
  // Tokens (prompt + completion) per minute per key.
  TOKEN_LIMIT_FREE: positiveInt.default(40_000),
  TOKEN_LIMIT_PRO: positiveInt.default(400_000),
  TOKEN_LIMIT_ENTERPRISE: positiveInt.default(4_000_000),
  LAST_USED_FLUSH_MS: positiveInt.default(10_000),
  ROTATION_REMINDER_CRON: cron.default("0 9 * * *"),
  PURGE_CRON: cron.default("0 * * * *"),
  SESSION_TTL_HOURS: positiveInt.default(168),
  SESSION_IDLE_HOURS: positiveInt.default(24),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  METRICS_TOKEN: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
  WORKER_CONCURRENCY: positiveInt.default(5),
  // How long a worker's claim on a job lasts without renewal: a job whose worker was killed is retried
  // by another worker after about this long (BullMQ's stalled-job recovery).
  WORKER_LOCK_DURATION_MS: positiveInt.default(30_000),
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  nodeEnv: string;
  port: number;
  databaseUrl: string;
  databaseSsl: "auto" | "off" | "no-verify" | "verify";
  databasePoolMax: number;
  redisUrl: string;
  redisTlsRejectUnauthorized: boolean;
  redisPrefix: string;
  publicUrl: string;
  /** PUBLIC_URL's origin: the bundled console and the docs page call from it. */
  publicOrigin: string;
  secureCookies: boolean;
  sessionCookieSameSite: "lax" | "none";
  consoleUrl: string;
  consoleOrigins: string[];
  consoleDir: string | undefined;
  consoleLiveReload: boolean;
  upstreamUrl: string;
  upstreamApiKey: string | undefined;
  upstreamTimeoutMs: number;
  upstreams: UpstreamSpec[];
  v1CorsOrigins: string[];
  proxyBodyLimitBytes: number;
  /** The key that encrypts second-factor secrets at rest; undefined: enrolment is refused. */
  totpEncryptionKey: Buffer | undefined;
  resendApiKey: string | undefined;
  resendBaseUrl: string | undefined;
  emailFrom: string;
  rateLimitsPerMinute: { free: number; pro: number; enterprise: number };
  tokenLimitsPerMinute: { free: number; pro: number; enterprise: number };
  lastUsedFlushMs: number;
  rotationReminderCron: string;
  purgeCron: string;
  sessionTtlHours: number;
  sessionIdleHours: number;
  trustProxyHops: number;
  metricsToken: string | undefined;
  logLevel: string;
  shutdownTimeoutMs: number;
  workerConcurrency: number;
  workerLockDurationMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Parses an environment; the failure names the first offending variable in one line. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  // An empty string means "unset" for optional values, as Heroku's config UI leaves them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "environment");
    return { ok: false, message: `invalid configuration: ${name}: ${issue?.message ?? "invalid"}` };
  }
  const e = parsed.data;
  if (e.UPSTREAMS && e.UPSTREAMS_FILE) {
    return {
      ok: false,
      message: "invalid configuration: UPSTREAMS: set UPSTREAMS or UPSTREAMS_FILE, not both",
    };
  }
  const publicUrl = e.PUBLIC_URL.replace(/\/+$/, "");
  const consoleOrigins = e.CONSOLE_ORIGINS.map((o) => new URL(o).origin);
  return {
    ok: true,
    config: {
      nodeEnv: e.NODE_ENV,
      port: e.PORT,
      databaseUrl: e.DATABASE_URL,
      databaseSsl: e.DATABASE_SSL,
      databasePoolMax: e.DATABASE_POOL_MAX,
      redisUrl: e.REDIS_URL,
      redisTlsRejectUnauthorized: e.REDIS_TLS_REJECT_UNAUTHORIZED,
      redisPrefix: e.REDIS_PREFIX,
      publicUrl,
      publicOrigin: new URL(publicUrl).origin,
      secureCookies: e.PUBLIC_URL.startsWith("https:"),
      sessionCookieSameSite: sessionCookieSameSite(publicUrl, consoleOrigins),
      consoleUrl: (e.CONSOLE_URL ?? `${publicUrl}/console`).replace(/\/+$/, ""),
      consoleOrigins,
      consoleDir: e.CONSOLE_DIR,
      consoleLiveReload: e.CONSOLE_LIVE_RELOAD,
      upstreamUrl: e.UPSTREAM_URL.replace(/\/+$/, ""),
      upstreamApiKey: e.UPSTREAM_API_KEY,
      upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
      upstreams: chooseUpstreams(e),
      v1CorsOrigins: e.V1_CORS_ORIGINS.map((o) => new URL(o).origin),
      proxyBodyLimitBytes: e.PROXY_BODY_LIMIT_BYTES,
      totpEncryptionKey: e.TOTP_ENCRYPTION_KEY ? Buffer.from(e.TOTP_ENCRYPTION_KEY, "hex") : undefined,
      resendApiKey: e.RESEND_API_KEY,
      resendBaseUrl: e.RESEND_BASE_URL,
      emailFrom: e.EMAIL_FROM,
      rateLimitsPerMinute: {
        free: e.RATE_LIMIT_FREE,
        pro: e.RATE_LIMIT_PRO,
        enterprise: e.RATE_LIMIT_ENTERPRISE,
      },
      tokenLimitsPerMinute: {
        free: e.TOKEN_LIMIT_FREE,
        pro: e.TOKEN_LIMIT_PRO,
        enterprise: e.TOKEN_LIMIT_ENTERPRISE,
      },
      lastUsedFlushMs: e.LAST_USED_FLUSH_MS,
      rotationReminderCron: e.ROTATION_REMINDER_CRON,
      purgeCron: e.PURGE_CRON,
      sessionTtlHours: e.SESSION_TTL_HOURS,
      sessionIdleHours: e.SESSION_IDLE_HOURS,
      trustProxyHops: e.TRUST_PROXY,
      metricsToken: e.METRICS_TOKEN,
      logLevel: e.LOG_LEVEL,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      workerConcurrency: e.WORKER_CONCURRENCY,
      workerLockDurationMs: e.WORKER_LOCK_DURATION_MS,
    },
  };
}

/** For entry points: parse process.env or print one line naming the variable and exit 1. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  const result = parseConfig(env);
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    process.exit(1);
  }
  return result.config;
}
