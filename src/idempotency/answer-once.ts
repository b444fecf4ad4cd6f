import { and, eq, lte } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { idempotencyKeys } from "../db/schema.js";
import { hashSecret } from "../secrets/secrets.js";
import type { IdempotentRequest } from "./idempotent-request.js";
import { openAnswer, sealAnswer } from "./sealed-answer.js";

// Idempotency-Key on the calls that mint a secret (key creation, rotation): a client whose answer was
// lost sends the call again with the same key and gets the first answer, secret included, instead of a
// second key. How one key is answered once, however many requests carry it at the same time:
//
// 1. The transaction first INSERTs the key's row; on a conflict it does nothing, unless the row there is
//    past the retention and not purged yet, which it takes over (ON CONFLICT DO UPDATE … WHERE). A
//    concurrent request with the same key blocks on the primary key until the first transaction ends;
//    if that one committed, the INSERT then does nothing, and its answer is read and replayed (READ
//    COMMITTED: the next statement sees it). If it rolled back, the INSERT goes through and this
//    request runs instead.
// 2. The change runs in the same transaction, and its answer is sealed into the row last: a committed
//    row always holds its answer, and a change is never committed without its row, nor the reverse.
// 3. A refusal (any error) rolls the whole transaction back, the row included: the call changed
//    nothing, so the same key sent again runs again rather than repeating the error.

export const IDEMPOTENCY_RETENTION_HOURS = 24;

/** Rows created at or before this are past the retention: taken over by a new claim, purged. */
export function retainedSince(now: Date): Date {
  return new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3_600_000);
}

export interface Answer {
  status: number;
  body: unknown;
}

export type Once =
  | { outcome: "answered" | "replayed"; answer: Answer }
  /** The key was used within the retention for another route or body: nothing ran. */
  | { outcome: "key_reused" }
  /**
   * The key's first answer is kept but cannot be opened any more (the server's
   * IDEMPOTENCY_ENCRYPTION_KEY changed since): nothing ran.
   */
  | { outcome: "unreadable" };

/**
 * Runs `attempt` in a transaction and answers with what it returns, once per Idempotency-Key (or every
 * time, when `request` is null). `attempt` refuses by throwing, which rolls everything back. `signal`
 * is checked after the answer is stored, last before the COMMIT, so that a call already answered at
 * its deadline (src/api/admin-deadline.ts) commits nothing. `serverKey` (IDEMPOTENCY_ENCRYPTION_KEY)
 * goes into the key answers are sealed under, when the operator set one.
 */
export async function answerOnce(
  db: Db,
  request: IdempotentRequest | null,
  attempt: (tx: Tx) => Promise<Answer>,
  options: { now: Date; signal?: AbortSignal; serverKey?: Buffer },
): Promise<Once> {
  const claim = request && { request, keyHash: hashSecret(request.key), serverKey: options.serverKey };
  return db.transaction(async (tx): Promise<Once> => {
    if (claim && !(await claimKey(tx, claim, options.now))) return earlierAnswer(tx, claim);
    const answer = await attempt(tx);
    if (claim) await storeAnswer(tx, claim, answer);
    options.signal?.throwIfAborted();
    return { outcome: "answered", answer };
  });
}

interface Claim {
  request: IdempotentRequest;
  /** The row's key: the Idempotency-Key's SHA-256, never the key itself. */
  keyHash: string;
  serverKey: Buffer | undefined;
}

const rowOf = ({ request, keyHash }: Claim) =>
  and(eq(idempotencyKeys.accountId, request.accountId), eq(idempotencyKeys.keyHash, keyHash));

/**
 * Takes the key for this transaction: true when its row is new, or was past the retention (not purged
 * yet) and is taken over; false when another request holds it, committed and within the retention.
 */
async function claimKey(tx: Tx, { request, keyHash }: Claim, now: Date): Promise<boolean> {
  const claim = {
    route: request.route,
    fingerprint: request.fingerprint,
    responseStatus: null,
    responseBody: null,
    createdAt: now,
  };
  const claimed = await tx
    .insert(idempotencyKeys)
    .values({ accountId: request.accountId, keyHash, ...claim })
    .onConflictDoUpdate({
      target: [idempotencyKeys.accountId, idempotencyKeys.keyHash],
      set: claim,
      setWhere: lte(idempotencyKeys.createdAt, retainedSince(now)),
    })
    .returning({ keyHash: idempotencyKeys.keyHash });
  return claimed.length > 0;
}

/** Seals the answer into the claimed row, under a key only the Idempotency-Key derives. */
async function storeAnswer(tx: Tx, claim: Claim, answer: Answer): Promise<void> {
  const { key, accountId } = claim.request;
  await tx
    .update(idempotencyKeys)
    .set({
      responseStatus: answer.status,
      responseBody: sealAnswer(key, accountId, JSON.stringify(answer.body), claim.serverKey),
    })
    .where(rowOf(claim));
}

/** The answer the request that holds the key gave, or key_reused when this request is another one. */
async function earlierAnswer(tx: Tx, claim: Claim): Promise<Once> {
  const { request } = claim;
  const [row] = await tx.select().from(idempotencyKeys).where(rowOf(claim));
  if (!row || row.responseStatus === null || row.responseBody === null) {
    throw new Error("an idempotency key conflicted but its committed answer is missing");
  }
  if (row.route !== request.route || row.fingerprint !== request.fingerprint)
    return { outcome: "key_reused" };
  // The hash matched, so this is the Idempotency-Key it was sealed under: only a server key changed
  // since (set, removed or replaced) leaves it closed.
  const opened = openAnswer(request.key, request.accountId, row.responseBody, claim.serverKey);
  if (opened === null) return { outcome: "unreadable" };
  return { outcome: "replayed", answer: { status: row.responseStatus, body: JSON.parse(opened) } };
}
