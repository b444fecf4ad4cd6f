import { getNextMillis } from "bullmq";
import { z } from "zod";
import {
  chooseUpstreams,
  parseUpstreamsJson,
  upstreamListSetting,
  upstreamsFileSetting,
  upstreamUrl,
} from "../upstreams/upstream-config.js";
import { sessionCookieSameSite } from "./cookie-site.js";

// The environment is parsed once per process, at its entry point; everything else receives the typed
// Config. Each variable is written once, in envSchema: its config name is its own name in camelCase
// (DATABASE_POOL_MAX: databasePoolMax), and the Config type is derived from the schema. Units are in
// the names so that a reader never has to guess them.

const commaList = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

const url = z.url({ protocol: /^https?$/ });
// Base URLs are kept without a trailing slash so that paths can be appended with one.
const baseUrl = url.transform((u) => u.replace(/\/+$/, ""));
const origins = commaList.pipe(z.array(url.transform((u) => new URL(u).origin)));
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

/** A 32-byte key written as 64 hex characters (openssl rand -hex 32). */
const key32Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (32 bytes)")
  .transform((hex) => Buffer.from(hex, "hex"));

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
  // Unset: http://localhost:PORT, so `PORT=3001 npm run dev` serves a console whose calls pass the CSRF check.
  PUBLIC_URL: baseUrl.optional(),
  // Unset: the bundled console, PUBLIC_URL + /console.
  CONSOLE_URL: baseUrl.optional(),
  // Where the built console is (dist/console unless set): tests build their own copy.
  CONSOLE_DIR: z.string().min(1).optional(),
  // Set by `npm run dev`: console pages reload themselves after each rebuild.
  CONSOLE_LIVE_RELOAD: booleanish.default(false),
  CONSOLE_ORIGINS: origins.default([]),
  // Its trailing slash is dropped where it becomes the one upstream (chooseUpstreams).
  UPSTREAM_URL: upstreamUrl.default("http://127.0.0.1:8000"),
  UPSTREAM_API_KEY: z.string().optional(),
  UPSTREAM_TIMEOUT_MS: positiveInt.default(60_000),
  // Several upstreams routed by model (see src/upstreams/upstream-config.ts); UPSTREAM_URL otherwise.
  UPSTREAMS: upstreamListSetting(parseUpstreamsJson).optional(),
  // Kept with its path: SIGHUP reads the file again (src/upstreams/reload-upstreams.ts).
  UPSTREAMS_FILE: upstreamsFileSetting.optional(),
  // How long a request waits for a slot at an upstream's max_concurrency before a 503 (0: not at all).
  UPSTREAM_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  // Browser origins allowed to call /v1 (CORS); none by default.
  V1_CORS_ORIGINS: origins.default([]),
  PROXY_BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024),
  // Audio uploads (/v1/audio/*) are read whole to find their model, as other bodies are: OpenAI's own
  // limit for an audio file is 25 MB.
  PROXY_AUDIO_BODY_LIMIT_BYTES: positiveInt.default(25 * 1024 * 1024),
  // 32 bytes for AES-256-GCM, as 64 hex characters (openssl rand -hex 32); without it, second-factor
  // enrolment is refused rather than storing secrets unencrypted.
  TOTP_ENCRYPTION_KEY: key32Hex.optional(),
  // Mixed into the key that seals a kept Idempotency-Key answer (src/idempotency/sealed-answer.ts), so
  // that a database dump alone opens none of them, whatever value the client chose.
  IDEMPOTENCY_ENCRYPTION_KEY: key32Hex.optional(),
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

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;
type CamelCased<T> = { [K in keyof T as CamelCase<K & string>]: T[K] };

function camelCased<T extends Record<string, unknown>>(env: T): CamelCased<T> {
  const entries = Object.entries(env).map(([name, value]) => [
    name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    value,
  ]);
  return Object.fromEntries(entries) as CamelCased<T>;
}

/** The variables whose config differs from their camelCased name: grouped, renamed or derived. */
const configSchema = envSchema
  .superRefine((e, ctx) => {
    if (e.UPSTREAMS && e.UPSTREAMS_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTREAMS"],
        message: "set UPSTREAMS or UPSTREAMS_FILE, not both",
      });
    }
  })
  .transform(
    ({
      TRUST_PROXY,
      RATE_LIMIT_FREE,
      RATE_LIMIT_PRO,
      RATE_LIMIT_ENTERPRISE,
      TOKEN_LIMIT_FREE,
      TOKEN_LIMIT_PRO,
      TOKEN_LIMIT_ENTERPRISE,
      UPSTREAMS,
      UPSTREAMS_FILE,
      CONSOLE_URL,
      PUBLIC_URL,
      ...rest
    }) => {
      const plain = { ...rest, PUBLIC_URL: PUBLIC_URL ?? `http://localhost:${rest.PORT}` };
      return {
        ...camelCased(plain),
        // PUBLIC_URL's origin: the bundled console and the docs page call from it.
        publicOrigin: new URL(plain.PUBLIC_URL).origin,
        secureCookies: plain.PUBLIC_URL.startsWith("https:"),
        sessionCookieSameSite: sessionCookieSameSite(plain.PUBLIC_URL, plain.CONSOLE_ORIGINS),
        consoleUrl: CONSOLE_URL ?? `${plain.PUBLIC_URL}/console`,
        upstreams: chooseUpstreams({ ...plain, UPSTREAMS, UPSTREAMS_FILE: UPSTREAMS_FILE?.upstreams }),
        upstreamsFile: UPSTREAMS_FILE?.path,
        // A number of hops, as express's "trust proxy" reads it.
        trustProxyHops: TRUST_PROXY,
        rateLimitsPerMinute: {
          free: RATE_LIMIT_FREE,
          pro: RATE_LIMIT_PRO,
          enterprise: RATE_LIMIT_ENTERPRISE,
        },
        tokenLimitsPerMinute: {
          free: TOKEN_LIMIT_FREE,
          pro: TOKEN_LIMIT_PRO,
          enterprise: TOKEN_LIMIT_ENTERPRISE,
        },
      };
    },
  );

export type Config = z.output<typeof configSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Parses an environment; the failure names the first offending variable in one line. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  // An empty string means "unset" for optional values, as Heroku's config UI leaves them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "environment");
    return { ok: false, message: `invalid configuration: ${name}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, config: parsed.data };
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
