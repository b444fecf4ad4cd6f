import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

// A stored answer carries an API key's secret, and keyward keeps no secret it could give back on its
// own: the answer is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the client's
// Idempotency-Key, which is stored only as a hash, and, when the operator set one, from the server's
// IDEMPOTENCY_ENCRYPTION_KEY. With the server's key, a database dump alone opens no answer, however
// guessable the values clients chose; without it, none whose value cannot be guessed. A client that
// sends the Idempotency-Key again, to a server holding the same key, does. The account id is HKDF's
// salt, so one value used by two accounts derives two unrelated keys.
//
// `v1` answers are sealed under the Idempotency-Key alone, `v2` answers under both.

const IV_BYTES = 12;
const TAG_BYTES = 16;

function answerKey(idempotencyKey: string, accountId: string, serverKey: Buffer | undefined): Buffer {
  const material = serverKey
    ? Buffer.concat([serverKey, Buffer.from(idempotencyKey, "utf8")])
    : idempotencyKey;
  const info = serverKey ? "keyward idempotent answer v2" : "keyward idempotent answer v1";
  return Buffer.from(hkdfSync("sha256", material, accountId, info, 32));
}

/** `<version>.<iv>.<tag>.<ciphertext>`, base64url each. */
export function sealAnswer(
  idempotencyKey: string,
  accountId: string,
  answer: string,
  serverKey: Buffer | undefined,
): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", answerKey(idempotencyKey, accountId, serverKey), iv);
  const ciphertext = Buffer.concat([cipher.update(answer, "utf8"), cipher.final()]);
  return [
    serverKey ? "v2" : "v1",
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    ciphertext.toString("base64url"),
  ].join(".");
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
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== (serverKey ? "v2" : "v1") || !iv || !tag || ciphertext === undefined) return null;
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      answerKey(idempotencyKey, accountId, serverKey),
      Buffer.from(iv, "base64url"),
      { authTagLength: TAG_BYTES },
    );
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const opened = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
    return opened.toString("utf8");
  } catch {
    return null;
  }
}
