import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Second-factor secrets at rest: AES-256-GCM under TOTP_ENCRYPTION_KEY. A database dump alone then
// yields no secret that could mint codes. The account id is the additional authenticated data, so a
// ciphertext copied onto another account's row fails to decrypt instead of working there.

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `v1.<iv>.<tag>.<ciphertext>`, base64url each; the version leaves room for a key rotation later. */
export function sealTotpSecret(key: Buffer, accountId: string, secretBase32: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(accountId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secretBase32, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** The base32 secret, or null when the box was not sealed with this key for this account. */
export function openTotpSecret(key: Buffer, accountId: string, sealed: string): string | null {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(accountId, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}
