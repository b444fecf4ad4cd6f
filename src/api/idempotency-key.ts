import type { Request, Response } from "express";
import type { Db, Tx } from "../db/client.js";
import { AppError } from "../errors/app-error.js";
import {
  type Answer,
  answerOnce,
  IDEMPOTENCY_RETENTION_HOURS,
  type Once,
} from "../idempotency/answer-once.js";
import {
  IdempotencyKeyValue,
  type IdempotentRequest,
  requestFingerprint,
} from "../idempotency/idempotent-request.js";
import { deadlineOf } from "./admin-deadline.js";

// The HTTP side of Idempotency-Key (src/idempotency has the rest): the header read and checked, the
// outcome sent, a replay marked with Idempotent-Replayed as Stripe's API marks it.

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/**
 * Answers a call that mints a secret (key creation, rotation): `attempt` runs in one transaction, once
 * per Idempotency-Key (every time without one), and its answer, or the first one replayed, is sent
 * uncached, since it carries a secret. `target` names the call: its account, its route pattern, its
 * canonical path (not the URL as spelled) and its parsed body, so that only a change of request makes a
 * different fingerprint. The call's deadline (admin-deadline.ts) is checked last before the COMMIT.
 */
export async function respondOnce(
  req: Request,
  res: Response,
  deps: { db: Db; serverKey: Buffer | undefined; now: Date },
  target: { accountId: string; route: string; path: string; body: unknown },
  attempt: (tx: Tx) => Promise<Answer>,
): Promise<void> {
  const once = await answerOnce(deps.db, idempotentRequestOf(req, target), attempt, {
    now: deps.now,
    signal: deadlineOf(res),
    serverKey: deps.serverKey,
  });
  res.setHeader("Cache-Control", "no-store");
  sendOnce(res, once);
}

/** The request's Idempotency-Key with what it asks for, or null when it sends none. */
function idempotentRequestOf(
  req: Request,
  target: { accountId: string; route: string; path: string; body: unknown },
): IdempotentRequest | null {
  const key = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (key === undefined) return null;
  if (typeof key !== "string" || !IdempotencyKeyValue.safeParse(key).success) {
    throw new AppError(
      "validation_failed",
      `${IDEMPOTENCY_KEY_HEADER} header: must be 1 to 255 visible ASCII characters, sent once (a UUID, say)`,
      { param: IDEMPOTENCY_KEY_HEADER },
    );
  }
  return {
    accountId: target.accountId,
    key,
    route: target.route,
    fingerprint: requestFingerprint(req.method, target.path, target.body),
  };
}

/** Sends the answer (a replayed one marked so), or refuses a key reused for another request. */
function sendOnce(res: Response, once: Once): void {
  if (once.outcome === "key_reused") {
    throw new AppError(
      "idempotency_key_reused",
      `This ${IDEMPOTENCY_KEY_HEADER} was already used in the last ${IDEMPOTENCY_RETENTION_HOURS} hours for a different request (another route or body); send a new key for a new request`,
    );
  }
  if (once.outcome === "unreadable") {
    throw new AppError(
      "idempotency_key_reused",
      `This ${IDEMPOTENCY_KEY_HEADER} was already used in the last ${IDEMPOTENCY_RETENTION_HOURS} hours, and its first answer can no longer be read (the server's IDEMPOTENCY_ENCRYPTION_KEY changed since); nothing was changed now: send a new key`,
    );
  }
  if (once.outcome === "replayed") res.setHeader(REPLAYED_HEADER, "true");
  res.status(once.answer.status).json(once.answer.body);
}
