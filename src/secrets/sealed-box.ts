import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Secrets kept at rest (second-factor secrets, idempotent answers holding a new API key) are sealed
// the same way: AES-256-GCM, a fresh 12-byte IV each time, written as `<version>.<iv>.<tag>.<ciphertext>`
// (base64url each). The version names how the key was chosen, so a later scheme can sit beside it;
// `aad`, when given, binds the box to its row (a box copied elsewhere does not open).

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealBox(key: Buffer, version: string, plaintext: string, aad?: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    version,
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    ciphertext.toString("base64url"),
  ].join(".");
}

/** The plaintext, or null when the box is of another version, or was not sealed with this key (and aad). */
export function openBox(key: Buffer, version: string, sealed: string, aad?: string): string | null {
  const [boxVersion, iv, tag, ciphertext] = sealed.split(".");
  if (boxVersion !== version || !iv || !tag || ciphertext === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), {
      authTagLength: TAG_BYTES,
    });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}
