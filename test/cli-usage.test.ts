import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import { recordUsageFields } from "../src/gateway/hot-path-script.js";
import { connectRedis } from "../src/redis/client.js";
import { manualClock } from "../src/time/clock.js";
import { type RequestUsage, usageFields } from "../src/usage/buffer.js";
import { flushUsage } from "../src/usage/flush.js";
import { createAccount, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let redis: Redis;
const clock = manualClock(new Date("2026-03-10T18:00:00Z"));

beforeAll(async () => {
  env = await createTestEnv();
  redis = connectRedis(env.config);
});
afterAll(async () => {
  await redis?.quit();
  await env?.close();
});

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => "" },
    async () => ({
      deps: { db: env.database.db, redis, redisPrefix: env.prefix, clock },
      close: async () => {},
    }),
  );
  return { code, out, err: err.join("\n") };
}

describe("keyward usage", () => {
  it("lists the day's top keys and accounts by tokens", async () => {
    const big = await createAccount(env, { email: "big@example.com" });
    const small = await createAccount(env, { email: "small@example.com" });
    const k1 = await insertApiKey(env, big.id, { name: "prod" });
    const k2 = await insertApiKey(env, big.id, { name: "staging" });
    const k3 = await insertApiKey(env, small.id, { name: "laptop" });
    const at = new Date("2026-03-10T09:00:00Z");
    const use = (keyId: string, promptTokens: number, completionTokens: number): RequestUsage => ({
      keyId,
      at,
      model: "llama",
      outcome: "answered",
      promptTokens,
      completionTokens,
      usageReported: true,
    });
    const uses = [use(k1.id, 100, 900), use(k1.id, 10, 10), use(k2.id, 5, 5), use(k3.id, 300, 200)];
    uses.push({ ...use(k3.id, 9_999, 9_999), at: new Date("2026-03-09T09:00:00Z") });
    await recordUsageFields(redis, env.prefix, uses.flatMap(usageFields));
    await flushUsage({ database: env.database, redis, config: env.config, logger: env.logger, clock });

    const json = await cli(["usage", "--json", "--top=2"]);
    expect(json.code).toBe(0);
    expect(json.out.map((l) => JSON.parse(l))).toEqual([
      {
        date: "2026-03-10",
        kind: "key",
        id: k1.id,
        label: "prod",
        email: "big@example.com",
        requests: 2,
        prompt_tokens: 110,
        completion_tokens: 910,
      },
      {
        date: "2026-03-10",
        kind: "key",
        id: k3.id,
        label: "laptop",
        email: "small@example.com",
        requests: 1,
        prompt_tokens: 300,
        completion_tokens: 200,
      },
      {
        date: "2026-03-10",
        kind: "account",
        id: big.id,
        label: "big@example.com",
        email: "big@example.com",
        requests: 3,
        prompt_tokens: 115,
        completion_tokens: 915,
      },
      {
        date: "2026-03-10",
        kind: "account",
        id: small.id,
        label: "small@example.com",
        email: "small@example.com",
        requests: 1,
        prompt_tokens: 300,
        completion_tokens: 200,
      },
    ]);
    const table = await cli(["usage", "--date=2026-03-09"]);
    expect(table.out[1]).toMatch(/^KEY\s+NAME\s+ACCOUNT\s+TOKENS\s+PROMPT\s+COMPLETION\s+REQUESTS$/);
    expect(table.out[2]).toMatch(
      new RegExp(`^${k3.id}\\s+laptop\\s+small@example.com\\s+19998\\s+9999\\s+9999\\s+1$`),
    );
    expect((await cli(["usage", "--date=2026-01-01"])).out).toContain("(no usage)");
  });

  it("refuses a bad option with exit 2", async () => {
    for (const argv of [
      ["usage", "--date=yesterday"],
      // A date the database has no day for (no year 0), and one PostgreSQL has but keyward's usage not.
      ["usage", "--date=0000-01-01"],
      ["usage", "--date=1969-12-31"],
      ["usage", "--date=2026-02-30"],
      ["usage", "--date", "2026-03-09"],
      ["usage", "--top=0"],
      ["usage", "--fast"],
      ["usage", "now"],
    ]) {
      const run = await cli(argv);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.err, argv.join(" ")).not.toMatch(/\n\s+at /);
    }
    const spaced = await cli(["usage", "--date", "2026-03-09"]);
    expect(spaced.err).toContain("options written as --name=value");
  });
});
