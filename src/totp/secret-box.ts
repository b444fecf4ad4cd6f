import { openBox, sealBox } from "../secrets/sealed-box.js";

// Second-factor secrets at rest: sealed (secrets/sealed-box.ts) under TOTP_ENCRYPTION_KEY. A database
// dump alone then yields no secret that could mint codes. The account id is the additional
// authenticated data, so a ciphertext copied onto another account's row fails to decrypt instead of
// working there. The version leaves room for a key rotation later.

const VERSION = "v1";

export function sealTotpSecret(key: Buffer, accountId: string, secretBase32: string): string {
  return sealBox(key, VERSION, secretBase32, accountId);
}

/** The base32 secret, or null when the box was not sealed with this key for this account. */
export function openTotpSecret(key: Buffer, accountId: string, sealed: string): string | null {
  return openBox(key, VERSION, sealed, accountId);
}
