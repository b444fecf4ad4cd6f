import { existsSync } from "node:fs";
import { loadConfigOrExit } from "../config/config.js";
import { connectDatabase } from "../db/client.js";
import { connectRedis } from "../redis/client.js";
import { systemClock } from "../time/clock.js";
import { runCli } from "./run.js";

// `npm run keyward -- <command>`: operator commands against the configured PostgreSQL and Redis.
const code = await runCli(
  process.argv.slice(2),
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  },
  async () => {
    // As `npm run dev` does, so a local set-up configured in .env reaches the same database.
    if (existsSync(".env")) process.loadEnvFile(".env");
    const config = loadConfigOrExit();
    const database = connectDatabase({ ...config, databasePoolMax: 2 });
    const redis = connectRedis(config, "commands");
    return {
      deps: { db: database.db, redis, redisPrefix: config.redisPrefix, clock: systemClock },
      close: async () => {
        await Promise.allSettled([database.close(), redis.quit()]);
      },
    };
  },
);
process.exit(code);
