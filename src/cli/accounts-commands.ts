import type { Redis } from "ioredis";
import { z } from "zod";
import { findAccountByEmail } from "../accounts/accounts.js";
import { hashPassword, passwordProblem } from "../accounts/passwords.js";
import type { Db } from "../db/client.js";
import { loggableMessage } from "../errors/loggable-error.js";
import { KeyChangeUnpublished } from "../keys/publish-key-change.js";
import { randomBase62 } from "../secrets/secrets.js";
import type { Tier } from "../tiers/tiers.js";
import type { Clock } from "../time/clock.js";
import {
  disableAccountRow,
  enableAccountRow,
  insertVerifiedAccount,
  listAccountsForOperator,
  setAccountTier,
  unrevokedKeys,
} from "./account-admin.js";

export interface CliDeps {
  db: Db;
  redis: Redis;
  redisPrefix: string;
  clock: Clock;
  out: (line: string) => void;
}

/** A command's result: exit code 0, or 1 with the line to print on stderr. */
export type CommandResult = { ok: true } | { ok: false; message: string };

const ok: CommandResult = { ok: true };
const fail = (message: string): CommandResult => ({ ok: false, message });
const emailSchema = z.email().max(254);

export async function listAccounts(deps: CliDeps, options: { json: boolean }): Promise<CommandResult> {
  const rows = await listAccountsForOperator(deps.db, deps.clock.now());
  if (options.json) {
    for (const r of rows) deps.out(JSON.stringify({ ...r, createdAt: r.createdAt.toISOString() }));
    return ok;
  }
  const table = [
    ["ID", "EMAIL", "VERIFIED", "TIER", "STATUS", "ACTIVE KEYS", "CREATED"],
    ...rows.map((r) => [
      r.id,
      r.email,
      r.verified ? "yes" : "no",
      r.tier,
      r.disabled ? "disabled" : "active",
      String(r.activeKeys),
      r.createdAt.toISOString(),
    ]),
  ];
  const widths = table[0]?.map((_, col) => Math.max(...table.map((row) => row[col]?.length ?? 0))) ?? [];
  for (const row of table)
    deps.out(
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  deps.out(`${rows.length} account(s)`);
  return ok;
}

/** Changes the tier; the new limits apply to the account's keys on their next request. */
export async function setTier(deps: CliDeps, email: string, tier: Tier): Promise<CommandResult> {
  const account = await findAccountByEmail(deps.db, email);
  if (!account) return fail(`no account with email ${email}`);
  const changed = await unlessRedisIsAway(() =>
    setAccountTier(deps.db, deps, account.id, tier, deps.clock.now()),
  );
  if (!changed.ok) return changed;
  deps.out(`${account.email}: tier ${account.tier} -> ${tier}`);
  return ok;
}

/**
 * Disables an account and ends its sessions: the next request with any of its keys, on every web
 * process, gets 401. Published before it commits (keys/publish-key-change.ts): with Redis away,
 * nothing is changed and the command says so.
 */
export async function disableAccount(deps: CliDeps, email: string): Promise<CommandResult> {
  const account = await findAccountByEmail(deps.db, email);
  if (!account) return fail(`no account with email ${email}`);
  const keys = await unrevokedKeys(deps.db, account.id);
  // Run even when already disabled: it publishes again, which is harmless.
  const changed = await unlessRedisIsAway(() =>
    disableAccountRow(deps.db, deps, account.id, deps.clock.now()),
  );
  if (!changed.ok) return changed;
  deps.out(
    account.disabledAt
      ? `${account.email}: already disabled`
      : `${account.email}: disabled; ${keys.length} key(s) refused from now on, sessions ended`,
  );
  return ok;
}

/** Re-enables an account; its keys work again on their next request, its users log in anew. */
export async function enableAccount(deps: CliDeps, email: string): Promise<CommandResult> {
  const account = await findAccountByEmail(deps.db, email);
  if (!account) return fail(`no account with email ${email}`);
  const changed = await unlessRedisIsAway(() =>
    enableAccountRow(deps.db, deps, account.id, deps.clock.now()),
  );
  if (!changed.ok) return changed;
  deps.out(account.disabledAt ? `${account.email}: enabled` : `${account.email}: already enabled`);
  return ok;
}

async function unlessRedisIsAway(change: () => Promise<void>): Promise<CommandResult> {
  try {
    await change();
    return ok;
  } catch (err) {
    if (!(err instanceof KeyChangeUnpublished)) throw err;
    return fail(`Redis is unavailable (${loggableMessage(err.cause)}); nothing was changed`);
  }
}

/**
 * Creates an account that is already verified. The password comes from stdin, or is generated and
 * printed once: it is shown here and stored nowhere but as an argon2id hash.
 */
export async function createAccount(
  deps: CliDeps,
  rawEmail: string,
  options: { password?: string },
): Promise<CommandResult> {
  const email = rawEmail.trim();
  if (!emailSchema.safeParse(email).success) return fail(`not a valid email address: ${email}`);
  const generated = options.password === undefined;
  const password = options.password ?? randomBase62(24);
  const problem = passwordProblem(password, email);
  if (problem) return fail(`password: ${problem}`);
  const result = await insertVerifiedAccount(deps.db, {
    email,
    passwordHash: await hashPassword(password),
    now: deps.clock.now(),
  });
  if (!result.ok) return fail(`an account with email ${email} already exists`);
  deps.out(`created ${result.id} <${email}> (verified, tier free)`);
  if (generated) deps.out(`password (shown once, store it now): ${password}`);
  return ok;
}
