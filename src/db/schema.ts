import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { TIERS } from "../tiers/tiers.js";

// Ids are time-ordered and carry a type prefix (see src/db/ids.ts), so "newest first" is ORDER BY id DESC
// and a cursor is simply the last id seen.

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    // Stored trimmed, as given (ASCII: see src/accounts/email-address.ts); unique on lower(email),
    // looked up by lower(email) against the input normalised in JavaScript.
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    emailVerifiedAt: ts("email_verified_at"),
    tier: text("tier", { enum: TIERS }).notNull().default("free"),
    rotationReminderDays: integer("rotation_reminder_days").notNull().default(30),
    disabledAt: ts("disabled_at"),
    // Second factor (src/totp): secrets are AES-256-GCM ciphertexts, never the base32 secret itself.
    // The pending one waits for its first code; the last step is the newest time step a code was
    // accepted for, so that no code (nor an older one) is accepted twice.
    totpSecret: text("totp_secret"),
    totpPendingSecret: text("totp_pending_secret"),
    totpEnabledAt: ts("totp_enabled_at"),
    totpLastStep: bigint("totp_last_step", { mode: "number" }),
    // An email on every sign-in from an address the account has not signed in from before.
    newSigninEmails: boolean("new_signin_emails").notNull().default(true),
    // The address an email change waits to confirm; the account keeps `email` until then.
    pendingEmail: text("pending_email"),
    // Deleted accounts keep their row (anonymised) so that the audit trail of the deletion survives.
    deletedAt: ts("deleted_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("accounts_email_lower_key").on(sql`lower(${t.email})`),
    check("accounts_tier_check", sql`${t.tier} in (${sql.raw(TIERS.map((tier) => `'${tier}'`).join(", "))})`),
    check("accounts_reminder_days_check", sql`${t.rotationReminderDays} between 0 and 365`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    // SHA-256 of the token, hex. The token itself is never stored.
    tokenHash: text("token_hash").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [
    uniqueIndex("sessions_token_hash_key").on(t.tokenHash),
    index("sessions_account_id_idx").on(t.accountId),
    index("sessions_expires_at_idx").on(t.expiresAt),
  ],
);

export const emailTokens = pgTable(
  "email_tokens",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["verify_email", "reset_password", "change_email"] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    // For change_email: the address this token confirms, fixed when the link was sent.
    newEmail: text("new_email"),
    // The job that minted the token: one email request, however many attempts it took.
    requestId: text("request_id").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
  },
  (t) => [
    uniqueIndex("email_tokens_token_hash_key").on(t.tokenHash),
    index("email_tokens_account_id_idx").on(t.accountId),
    index("email_tokens_expires_at_idx").on(t.expiresAt),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // SHA-256 of the full key, hex: a key's random part is beyond guessing (API_KEY_ENTROPY_BITS in
    // src/secrets/secrets.ts), so a fast hash is enough.
    keyHash: text("key_hash").notNull(),
    last4: text("last4").notNull(),
    permissions: text("permissions").array().notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    // A lower tokens-per-minute limit than the tier's, or null for the tier's.
    tokenLimitPerMinute: integer("token_limit_per_minute"),
    // The model ids the key may use; null for every model.
    models: text("models").array(),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at"),
    expiresAt: ts("expires_at"),
    revokedAt: ts("revoked_at"),
    rotatedFrom: text("rotated_from"),
    lastReminderAt: ts("last_reminder_at"),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    index("api_keys_account_id_id_idx").on(t.accountId, t.id),
    // Rotation looks for an existing successor; reminders find the keys a run claimed by its stamp.
    index("api_keys_rotated_from_idx").on(t.rotatedFrom),
    index("api_keys_last_reminder_at_idx").on(t.lastReminderAt),
  ],
);

export const keyUsageDaily = pgTable(
  "key_usage_daily",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    requests: bigint("requests", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day] })],
);

// Requests and tokens per key, UTC day and model, moved here by the usage flush. `model` is the body's
// `model` as the client sent it, or '' where there is none (GET /v1/models, or a request refused
// before its body was read). Outcomes: answered (the upstream answered 2xx), refused (by keyward, for
// permission or a limit, after the key was recognised), upstream_errors (the upstream answered an
// error or could not be reached). requests_without_usage: answered requests whose upstream reported
// no usage (unreadable answer, or a client gone before the usage arrived; see the README).
export const keyModelUsageDaily = pgTable(
  "key_model_usage_daily",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    model: text("model").notNull(),
    answered: bigint("answered", { mode: "number" }).notNull().default(0),
    refused: bigint("refused", { mode: "number" }).notNull().default(0),
    upstreamErrors: bigint("upstream_errors", { mode: "number" }).notNull().default(0),
    promptTokens: bigint("prompt_tokens", { mode: "number" }).notNull().default(0),
    completionTokens: bigint("completion_tokens", { mode: "number" }).notNull().default(0),
    requestsWithoutUsage: bigint("requests_without_usage", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.day, t.model] }),
    // The operator's daily report reads one day across every key.
    index("key_model_usage_daily_day_idx").on(t.day),
  ],
);

// Each applied flush batch leaves its id here, in the same transaction as its writes, so that a batch
// replayed after a crash is recognised and skipped instead of counted twice.
export const usageFlushBatches = pgTable("usage_flush_batches", {
  id: text("id").primaryKey(),
  appliedAt: ts("applied_at").notNull().defaultNow(),
});

export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    action: text("action").notNull(),
    keyId: text("key_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("audit_events_account_id_id_idx").on(t.accountId, t.id)],
);

// Second-factor recovery codes: SHA-256 of each (they carry 80 random bits, so a fast hash is enough),
// each usable once.
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    usedAt: ts("used_at"),
  },
  (t) => [uniqueIndex("recovery_codes_account_code_key").on(t.accountId, t.codeHash)],
);

// A password checked out for an account with a second factor: the token (stored as a hash) lets the
// client send a code for a few minutes, a bounded number of times, and is never a session.
export const loginChallenges = pgTable(
  "login_challenges",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: ts("created_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    failedAttempts: integer("failed_attempts").notNull().default(0),
  },
  (t) => [
    uniqueIndex("login_challenges_token_hash_key").on(t.tokenHash),
    index("login_challenges_account_id_idx").on(t.accountId),
    index("login_challenges_expires_at_idx").on(t.expiresAt),
  ],
);

// One row per Idempotency-Key an account sent with a key creation or rotation, written in the same
// transaction as the change, kept 24 hours (src/idempotency). Neither the key itself nor the answer in
// clear is stored: `key_hash` is the key's SHA-256, and `response_body` is sealed under a key derived
// from the Idempotency-Key, so only a client holding it can have the answer (its API key's secret)
// back. The primary key is what concurrent requests with one Idempotency-Key queue on.
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull(),
    // The route pattern (`POST /admin/keys/:id/rotate`) and the SHA-256 of the method, path and body.
    route: text("route").notNull(),
    fingerprint: text("fingerprint").notNull(),
    // Filled last in the transaction that claimed the row, so a committed row always has them.
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.keyHash] }),
    index("idempotency_keys_created_at_idx").on(t.createdAt),
  ],
);
