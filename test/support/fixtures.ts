import argon2 from "argon2";
import { newId } from "../../src/db/ids.js";
import { accounts, apiKeys } from "../../src/db/schema.js";
import { generateApiKey } from "../../src/secrets/secrets.js";
import { createSession } from "../../src/sessions/sessions.js";
import type { TestEnv } from "./harness.js";

// Direct inserts for tests that are about something else than signing up (keys, proxy, worker):
// they start from an account that already exists instead of going through email verification.

export const FIXTURE_PASSWORD = "correct horse battery staple 42";
let fixtureHash: Promise<string> | undefined;

export async function createAccount(
  env: TestEnv,
  opts: {
    email?: string;
    verified?: boolean;
    tier?: "free" | "pro" | "enterprise";
    reminderDays?: number;
  } = {},
): Promise<{ id: string; email: string }> {
  fixtureHash ??= argon2.hash(FIXTURE_PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2 });
  const id = newId("acc");
  const email = opts.email ?? `user-${id.slice(-8)}@example.com`;
  await env.database.db.insert(accounts).values({
    id,
    email,
    passwordHash: await fixtureHash,
    emailVerifiedAt: opts.verified === false ? null : new Date(),
    tier: opts.tier ?? "free",
    rotationReminderDays: opts.reminderDays ?? 30,
  });
  return { id, email };
}

/** A verified account and a session token for it (use as `Authorization: Bearer <token>`). */
export async function createAccountWithSession(
  env: TestEnv,
  opts: Parameters<typeof createAccount>[1] = {},
): Promise<{ id: string; email: string; token: string }> {
  const account = await createAccount(env, opts);
  const { token } = await createSession(env.database.db, {
    accountId: account.id,
    ip: null,
    userAgent: null,
    now: new Date(),
    ttlHours: 168,
  });
  return { ...account, token };
}

export async function insertApiKey(
  env: TestEnv,
  accountId: string,
  opts: {
    name?: string;
    permissions?: string[];
    expiresAt?: Date | null;
    revokedAt?: Date | null;
    rateLimitPerMinute?: number | null;
    tokenLimitPerMinute?: number | null;
    /** The models the key may use; null (the default) for every one. */
    models?: string[] | null;
    createdAt?: Date;
  } = {},
): Promise<{ id: string; secret: string; last4: string }> {
  const { secret, hash, last4 } = generateApiKey();
  const id = newId("key", opts.createdAt?.getTime());
  await env.database.db.insert(apiKeys).values({
    id,
    accountId,
    name: opts.name ?? "test key",
    keyHash: hash,
    last4,
    permissions: opts.permissions ?? ["chat:read", "embeddings:read", "models:list"],
    rateLimitPerMinute: opts.rateLimitPerMinute ?? null,
    tokenLimitPerMinute: opts.tokenLimitPerMinute ?? null,
    models: opts.models ?? null,
    expiresAt: opts.expiresAt ?? null,
    revokedAt: opts.revokedAt ?? null,
    createdAt: opts.createdAt,
  });
  return { id, secret, last4 };
}
