import type { Queue } from "bullmq";
import type { Database } from "../db/client.js";
import {
  emailJobOptions,
  ROTATION_REMINDER_EMAIL,
  type RotationReminderEmailJob,
} from "../email/email-queue.js";
import { isActiveKeyFragment } from "../keys/active-key.js";
import type { Logger } from "../logging/logger.js";

// A rotation reminder run in two steps, each safe to repeat:
//  1. claim: one conditional UPDATE stamps last_reminder_at = claimAt on every due key. A key already
//     stamped within its account's period no longer matches, so a second run, a second worker or a
//     retry never claims it again: a concurrent run waits on the row lock, then re-checks the row
//     and leaves it out. Rows are locked in id order so that two runs never deadlock; NO KEY UPDATE
//     (not UPDATE) so that the usage flush's KEY SHARE locks on the same keys are not blocked.
//  2. hand-off: one email job per account that has keys stamped with exactly claimAt, with a job id
//     derived from (account, claimAt). A retry of the run re-derives the same accounts and the same
//     job ids, so an email lost between the claim and the enqueue is enqueued by the retry, and one
//     enqueued twice is deduplicated by BullMQ (and by Resend's idempotency key after that).
// The caller must reuse the same claimAt on a retry (the maintenance job stores it in its data).

export interface ReminderRunDeps {
  database: Database;
  queues: { email: Queue };
  logger: Logger;
}

export interface ReminderRunStats {
  claimedKeys: number;
  accounts: number;
  statements: number;
}

const CLAIM_BATCH = 1_000;

/** Keys due at `at`: active, older than the account's period, not reminded within it. */
export async function claimDueKeys(
  database: Database,
  at: Date,
): Promise<{ keys: number; statements: number }> {
  const sql = database.sql;
  const now = at.toISOString();
  let keys = 0;
  let statements = 0;
  for (;;) {
    const claimed = await sql`
      update api_keys k set last_reminder_at = ${now}
      where k.id in (
        select d.id from api_keys d join accounts a on a.id = d.account_id
        where a.rotation_reminder_days > 0
          and a.disabled_at is null
          and a.email_verified_at is not null
          and ${isActiveKeyFragment(sql, "d", at)}
          and d.created_at <= ${now}::timestamptz - make_interval(days => a.rotation_reminder_days)
          and (d.last_reminder_at is null
               or d.last_reminder_at <= ${now}::timestamptz - make_interval(days => a.rotation_reminder_days))
        order by d.id
        limit ${CLAIM_BATCH}
        for no key update of d
      )
      returning k.id`;
    statements++;
    keys += claimed.count;
    if (claimed.count < CLAIM_BATCH) return { keys, statements };
  }
}

export function reminderJobId(accountId: string, at: Date): string {
  // BullMQ refuses ':' in custom ids.
  return `rotation-reminder-${accountId}-${at.getTime()}`;
}

export async function runRotationReminders(deps: ReminderRunDeps, claimAt: Date): Promise<ReminderRunStats> {
  const claim = await claimDueKeys(deps.database, claimAt);
  const accounts = await deps.database.sql<{ account_id: string }[]>`
    select distinct account_id from api_keys where last_reminder_at = ${claimAt.toISOString()}`;
  const remindedAt = claimAt.toISOString();
  for (let i = 0; i < accounts.length; i += 500) {
    await deps.queues.email.addBulk(
      accounts.slice(i, i + 500).map(({ account_id }) => ({
        name: ROTATION_REMINDER_EMAIL,
        data: { accountId: account_id, remindedAt } satisfies RotationReminderEmailJob,
        opts: { ...emailJobOptions, jobId: reminderJobId(account_id, claimAt) },
      })),
    );
  }
  const stats = { claimedKeys: claim.keys, accounts: accounts.length, statements: claim.statements + 1 };
  deps.logger.info({ ...stats, claimAt: remindedAt }, "rotation reminders claimed and queued");
  return stats;
}
