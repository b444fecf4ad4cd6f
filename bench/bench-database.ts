import postgres from "postgres";
import { connectDatabase } from "../src/db/client.js";
import { newId } from "../src/db/ids.js";
import { runMigrations } from "../src/db/migrate.js";
import { accounts, apiKeys } from "../src/db/schema.js";
import { generateApiKey } from "../src/secrets/secrets.js";

/**
 * A fresh, migrated database `name` on the server at `pgBase`, holding one verified enterprise account
 * with one key allowed every /v1 permission: what bench/run.ts and bench/quick.ts send their load with.
 */
export async function prepareBenchDatabase(
  pgBase: string,
  name: string,
): Promise<{ databaseUrl: string; secret: string }> {
  const admin = postgres(`${pgBase}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const databaseUrl = `${pgBase}/${name}`;
  await runMigrations({ databaseUrl, databaseSsl: "off", databasePoolMax: 1 });
  const { db, close } = connectDatabase({ databaseUrl, databaseSsl: "off", databasePoolMax: 1 });
  const accountId = newId("acc");
  await db.insert(accounts).values({
    id: accountId,
    email: "bench@example.com",
    passwordHash: "not-a-login-account",
    emailVerifiedAt: new Date(),
    tier: "enterprise",
  });
  const key = generateApiKey();
  await db.insert(apiKeys).values({
    id: newId("key"),
    accountId,
    name: "bench",
    keyHash: key.hash,
    last4: key.last4,
    permissions: ["chat:read", "embeddings:read", "models:list"],
  });
  await close();
  return { databaseUrl, secret: key.secret };
}
