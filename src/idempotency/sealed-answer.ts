import { hkdfSync } from "node:crypto";
import { openBox, sealBox } from "../secrets/sealed-box.js";

// A stored answer carries an API key's secret, and keyward keeps no secret it could give back on its
// own: the answer is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the client's
// Idempotency-Key, which is stored only as a hash, and, when the operator set one, from the server's
// IDEMPOTENCY_ENCRYPTION_KEY. With the server's key, a database dump alone opens no answer, however
// guessable the values clients chose; without it, none whose value cannot be guessed. A client that
// sends the Idempotency-Key again, to a server holding the same key, does. The account id is HKDF's
// salt, so one value used by two accounts derives two unrelated keys.
//
// `v1` answers are sealed under the Idempotency-Key alone, `v2` answers under both.

function answerKey(idempotencyKey: string, accountId: string, serverKey: Buffer | undefined): Buffer {
  const material = serverKey
    ? Buffer.concat([serverKey, Buffer.from(idempotencyKey, "utf8")])
    : idempotencyKey;
  const info = serverKey ? "keyward idempotent answer v2" : "keyward idempotent answer v1";
  return Buffer.from(hkdfSync("sha256", material, accountId, info, 32));
}

/** Sealed (secrets/sealed-box.ts), version `v2` under both keys, `v1` under the Idempotency-Key alone. */
export function sealAnswer(
  idempotencyKey: string,
  accountId: string,
  answer: string,
  serverKey: Buffer | undefined,
): string {
  return sealBox(answerKey(idempotencyKey, accountId, serverKey), serverKey ? "v2" : "v1", answer);
}

/**
 * The answer, or null when it cannot be opened: not sealed under this Idempotency-Key for this
 * account, or sealed under a server key this server no longer holds (IDEMPOTENCY_ENCRYPTION_KEY
 * changed, set or removed since).
 */
export function openAnswer(
  idempotencyKey: string,
  accountId: string,
  sealed: string,
  serverKey: Buffer | undefined,
): string | null {
  return openBox(answerKey(idempotencyKey, accountId, serverKey), serverKey ? "v2" : "v1", sealed);
}
