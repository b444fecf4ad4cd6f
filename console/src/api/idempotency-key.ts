// Key creation and rotation send an Idempotency-Key: one per submission, sent again unchanged by its
// Retry, so that a call whose answer was lost (a dropped connection, a proxy's timeout) answers the
// key it made, secret included, instead of making a second one.

/** A new Idempotency-Key, 128 random bits. */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts (https, localhost): a console reached over plain http
  // elsewhere has getRandomValues alone.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
