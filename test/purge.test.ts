import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/db/ids.js";
import { purgeExpired } from "../src/purge/purge.js";
import { manualClock } from "../src/time/clock.js";
import { createAccount } from "./support/fixtures.js";
import { createTestEnv, type TestEnv } from "./support/harness.js";

let env: TestEnv;
const HOUR = 3_600_000;
const clock = manualClock(new Date("2026-05-01T12:00:00Z"));
const ago = (ms: number) => new Date(clock.now().getTime() - ms).toISOString();
const ahead = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();

beforeAll(async () => {
  // SESSION_IDLE_HOURS 24 and SESSION_TTL_HOURS 168 (the defaults), spelled out for the reader.
  env = await createTestEnv({ SESSION_IDLE_HOURS: "24", SESSION_TTL_HOURS: "168" });
});
afterAll(async () => {
  await env?.close();
});

const deps = () => ({ database: env.database, config: env.config, logger: env.logger, clock });

async function insertSession(
  accountId: string,
  s: { createdAt: string; lastUsedAt: string; expiresAt: string },
) {
  const id = newId("ses");
  await env.database.sql`
    insert into sessions (id, account_id, token_hash, created_at, last_used_at, expires_at)
    values (${id}, ${accountId}, ${`hash-${id}`}, ${s.createdAt}, ${s.lastUsedAt}, ${s.expiresAt})`;
  return id;
}

async function insertToken(accountId: string, t: { expiresAt: string; usedAt?: string }) {
  const id = newId("tok");
  await env.database.sql`
    insert into email_tokens (id, account_id, purpose, token_hash, request_id, expires_at, used_at)
    values (${id}, ${accountId}, 'verify_email', ${`hash-${id}`}, 'req', ${t.expiresAt}, ${t.usedAt ?? null})`;
  return id;
}

const remaining = async (table: "sessions" | "email_tokens" | "login_challenges" | "usage_flush_batches") =>
  (await env.database.sql<{ id: string }[]>`select id from ${env.database.sql(table)} order by id`).map(
    (r) => r.id,
  );

describe("purge", () => {
  it("deletes expired, idle and over-age sessions and expired or used tokens, and leaves live ones", async () => {
    const account = await createAccount(env);
    const live = await insertSession(account.id, {
      createdAt: ago(HOUR),
      lastUsedAt: ago(60_000),
      expiresAt: ahead(HOUR),
    });
    const nearlyIdle = await insertSession(account.id, {
      createdAt: ago(30 * HOUR),
      lastUsedAt: ago(23 * HOUR),
      expiresAt: ahead(100 * HOUR),
    });
    await insertSession(account.id, { createdAt: ago(2 * HOUR), lastUsedAt: ago(HOUR), expiresAt: ago(1) });
    await insertSession(account.id, {
      createdAt: ago(30 * HOUR),
      lastUsedAt: ago(25 * HOUR),
      expiresAt: ahead(HOUR),
    });
    await insertSession(account.id, {
      createdAt: ago(169 * HOUR),
      lastUsedAt: ago(HOUR),
      expiresAt: ahead(HOUR),
    });

    const unused = await insertToken(account.id, { expiresAt: ahead(HOUR) });
    await insertToken(account.id, { expiresAt: ago(1) });
    await insertToken(account.id, { expiresAt: ahead(HOUR), usedAt: ago(60_000) });

    await env.database.sql`
      insert into usage_flush_batches (id, applied_at) values
        ('old:0', ${ago(8 * 24 * HOUR)}), ('recent:0', ${ago(HOUR)})`;

    const challenge = (id: string, expiresAt: string, usedAt: string | null) => env.database.sql`
      insert into login_challenges (id, account_id, token_hash, expires_at, used_at)
      values (${id}, ${account.id}, ${id}, ${expiresAt}, ${usedAt})`;
    await challenge("chl_live", ahead(60_000), null);
    await challenge("chl_expired", ago(1), null);
    await challenge("chl_used", ahead(60_000), ago(1));

    const stats = await purgeExpired(deps());
    expect(stats).toMatchObject({ sessions: 3, emailTokens: 2, loginChallenges: 2, flushBatches: 1 });
    expect(await remaining("login_challenges")).toEqual(["chl_live"]);
    expect(await remaining("sessions")).toEqual([live, nearlyIdle].sort());
    expect(await remaining("email_tokens")).toEqual([unused]);
    expect(await remaining("usage_flush_batches")).toEqual(["recent:0"]);
  });

  it("deletes in bounded batches, looping until none is left", async () => {
    const account = await createAccount(env);
    const keep = await remaining("sessions");
    for (let i = 0; i < 7; i++) {
      await insertSession(account.id, {
        createdAt: ago(3 * HOUR),
        lastUsedAt: ago(2 * HOUR),
        expiresAt: ago(HOUR),
      });
    }
    const stats = await purgeExpired(deps(), { batchSize: 3 });
    // 3 + 3 + 1 sessions: three statements; one each for the (already clean) tokens, login
    // challenges, batches and idempotency keys.
    expect(stats).toMatchObject({ sessions: 7, emailTokens: 0, flushBatches: 0, statements: 7 });
    expect(await remaining("sessions")).toEqual(keep);
    expect(await purgeExpired(deps())).toMatchObject({ sessions: 0, statements: 5 });
  });
});
