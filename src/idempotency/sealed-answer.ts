import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

// A stored answer carries an API key's secret, and keyward keeps no secret it could give back on its
// own: the answer is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the client's
// Idempotency-Key, which is stored only as a hash. A database dump alone therefore opens no answer;
// a client that sends the Idempotency-Key again does. The account id is HKDF's salt, so one value
// used by two accounts derives two unrelated keys.

const VERSION = "v1";
const INFO = "keyward idempotent answer v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

function answerKey(idempotencyKey: string, accountId: string): Buffer {
  return Buffer.from(hkdfSync("sha256", idempotencyKey, accountId, INFO, 32));
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url each. */
export function sealAnswer(idempotencyKey: string, accountId: string, answer: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", answerKey(idempotencyKey, accountId), iv);
  const ciphertext = Buffer.concat([cipher.update(answer, "utf8"), cipher.final()]);
  return [
    VERSION,
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    ciphertext.toString("base64url"),
  ].join(".");
}

/** The answer, or null when it was not sealed under this Idempotency-Key for this account. */
export function openAnswer(idempotencyKey: string, accountId: string, sealed: string): string | null {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) return null;
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      answerKey(idempotencyKey, accountId),
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
