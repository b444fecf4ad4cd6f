import { randomBytes } from "node:crypto";
import type { RequestListener } from "node:http";
import { Writable } from "node:stream";
import type { Express } from "express";
import postgres from "postgres";
import { inject } from "vitest";
import { createApp } from "../../src/api/app.js";
import type { AppDeps } from "../../src/api/deps.js";
import { type Config, parseConfig } from "../../src/config/config.js";
import { connectDatabase, type Database } from "../../src/db/client.js";
import { createMailer, type Mailer } from "../../src/email/mailer.js";
import type { JobProcessor, WorkerDeps } from "../../src/jobs/job-processor.js";
import { createLogger, type Logger } from "../../src/logging/logger.js";
import { createQueues } from "../../src/queues/queues.js";
import { connectRedis } from "../../src/redis/client.js";
import { type Clock, systemClock } from "../../src/time/clock.js";
import type { UpstreamSet } from "../../src/upstreams/upstream-set.js";
import { createWorker, type KeywardWorker } from "../../src/worker/worker.js";
import { ADMIN_URL, databaseUrl, REDIS_URL } from "./db-names.js";

/** Captured log lines, for tests that assert on what was (or was not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join("\n");
  }
}

export interface TestEnv {
  dbName: string;
  prefix: string;
  env: Record<string, string>;
  config: Config;
  database: Database;
  logs: LogCapture;
  logger: Logger;
  /** Builds a config for this env with overrides (e.g. a Resend stand-in URL). */
  configWith(overrides: Record<string, string>): Config;
  /** A web app on this env's database and Redis prefix; call as often as you want instances. */
  makeApp(overrides?: {
    config?: Config;
    clock?: Clock;
    redisUrl?: string;
    /** Upstreams the test drives itself (refreshes their model lists when it wants). */
    upstreams?: UpstreamSet;
    /** Sees the text of every statement the app sends to PostgreSQL. */
    onQuery?: (query: string) => void;
  }): Promise<TestApp>;
  /** A worker on this env, with the processors given (tests pass the real ones they exercise). */
  makeWorker(
    processors: { email?: JobProcessor; maintenance?: JobProcessor },
    overrides?: { config?: Config; clock?: Clock; mailer?: Mailer },
  ): Promise<TestWorker>;
  close(): Promise<void>;
}

export interface TestWorker {
  worker: KeywardWorker;
  deps: WorkerDeps;
  close(): Promise<void>;
}

export interface TestApp {
  /** The app as the web server runs it: /v1 to the gateway, the rest to express. */
  app: RequestListener;
  /** Its express half, for tests that add a route to it. */
  express: Express;
  deps: AppDeps;
  close(): Promise<void>;
}

async function cloneTemplate(name: string): Promise<void> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    // Two clones of one template at the same instant can collide; a retry settles it.
    for (let attempt = 0; ; attempt++) {
      try {
        await sql.unsafe(`create database ${name} template ${inject("templateDb")}`);
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 50 + attempt * 50));
      }
    }
  } finally {
    await sql.end();
  }
}

/** A fresh database (cloned from the migrated template) and a unique Redis prefix for one test file. */
export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const suffix = randomBytes(5).toString("hex");
  const dbName = `kw_test_${suffix}`;
  const prefix = `kwtest-${suffix}`;
  await cloneTemplate(dbName);
  const env: Record<string, string> = {
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl(dbName),
    DATABASE_SSL: "off",
    DATABASE_POOL_MAX: "5",
    REDIS_URL,
    REDIS_PREFIX: prefix,
    PUBLIC_URL: "http://localhost:3000",
    CONSOLE_URL: "http://console.test",
    CONSOLE_ORIGINS: "http://console.test",
    LOG_LEVEL: "info",
    ...overrides,
  };
  const configWith = (more: Record<string, string>): Config => {
    const parsed = parseConfig({ ...env, ...more });
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.config;
  };
  const config = configWith({});
  const database = connectDatabase(config);
  const logs = new LogCapture();
  const logger = createLogger({ level: "info" }, logs);
  const apps: TestApp[] = [];
  const workers: TestWorker[] = [];

  return {
    dbName,
    prefix,
    env,
    config,
    database,
    logs,
    logger,
    configWith,
    async makeApp(opts = {}) {
      const appConfig = opts.config ?? config;
      const redisConfig = opts.redisUrl ? { ...appConfig, redisUrl: opts.redisUrl } : appConfig;
      const redis = connectRedis(redisConfig, "commands");
      const bull = connectRedis(appConfig, "bullmq");
      const queues = createQueues(bull, appConfig.redisPrefix, logger);
      const appDatabase = connectDatabase(appConfig, { onQuery: opts.onQuery });
      const deps: AppDeps = {
        config: appConfig,
        database: appDatabase,
        redis,
        emailQueue: queues.email,
        maintenanceQueue: queues.maintenance,
        logger,
        clock: opts.clock ?? systemClock,
        upstreams: opts.upstreams,
      };
      const created = createApp(deps);
      const testApp: TestApp = {
        app: created.handle,
        express: created.express,
        deps,
        async close() {
          await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
          await Promise.allSettled([appDatabase.close(), redis.quit(), bull.quit()]);
        },
      };
      apps.push(testApp);
      return testApp;
    },
    async makeWorker(processors, opts = {}) {
      const workerConfig = opts.config ?? config;
      const redis = connectRedis(workerConfig, "commands");
      const bull = connectRedis(workerConfig, "bullmq");
      const queues = createQueues(bull, workerConfig.redisPrefix, logger);
      const workerDatabase = connectDatabase(workerConfig);
      const unused: JobProcessor = async (_deps, job) => {
        throw new Error(`no processor for ${job.name} in this test`);
      };
      const deps: WorkerDeps = {
        config: workerConfig,
        database: workerDatabase,
        redis,
        bullConnection: bull,
        queues,
        mailer: opts.mailer ?? createMailer(workerConfig, logger),
        logger,
        clock: opts.clock ?? systemClock,
      };
      const worker = createWorker(deps, {
        email: processors.email ?? unused,
        maintenance: processors.maintenance ?? unused,
      });
      const testWorker: TestWorker = {
        worker,
        deps,
        async close() {
          await worker.close();
          await Promise.allSettled([queues.email.close(), queues.maintenance.close()]);
          await Promise.allSettled([workerDatabase.close(), redis.quit(), bull.quit()]);
        },
      };
      workers.push(testWorker);
      return testWorker;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled(apps.map((a) => a.close()));
      await database.close();
      const redis = connectRedis({ redisUrl: REDIS_URL, redisTlsRejectUnauthorized: false });
      try {
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== "0");
      } finally {
        await redis.quit();
      }
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${dbName} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}
