import { hash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

// Every raw secret keyward handles (API keys, session tokens, email tokens) is made, checked and
// hashed here, and nowhere else. Only hashes are stored, so a database leak yields nothing usable.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const API_KEY_PREFIX = "sk-srt-";
const KEY_BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const RANDOM_LENGTH = KEY_BODY_LENGTH - CHECKSUM_LENGTH;
/** What a key's random part carries: 26 base62 characters, 26 × log2(62) = 154.8 bits (the checksum adds none). */
export const API_KEY_ENTROPY_BITS = Math.floor(RANDOM_LENGTH * Math.log2(BASE62.length));
const API_KEY_SHAPE = /^sk-srt-[A-Za-z0-9]{32}$/;

/** Uniform base62 characters from the CSPRNG (rejection sampling keeps every character equally likely). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would bias the first characters of the alphabet.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function base62Fixed(value: number, length: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < length; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function keyChecksum(prefixAndRandom: string): string {
  return base62Fixed(crc32(prefixAndRandom), CHECKSUM_LENGTH);
}

/**
 * A new API key: the prefix, 26 random base62 characters (API_KEY_ENTROPY_BITS) and a 6-character base62 CRC32 of
 * everything before it, as GitHub's tokens do, so that typos are refused without a database look-up
 * and secret scanners can recognise a leaked key with few false positives.
 */
export function generateApiKey(): { secret: string; hash: string; last4: string } {
  const head = API_KEY_PREFIX + randomBase62(RANDOM_LENGTH);
  const secret = head + keyChecksum(head);
  return { secret, hash: hashSecret(secret), last4: secret.slice(-4) };
}

/** True when the string has the key's shape and its checksum matches. Cheap: no I/O. */
export function isWellFormedApiKey(candidate: string): boolean {
  if (!API_KEY_SHAPE.test(candidate)) return false;
  const head = candidate.slice(0, API_KEY_PREFIX.length + RANDOM_LENGTH);
  return keyChecksum(head) === candidate.slice(head.length);
}

/** A session or email token: 256 bits from the CSPRNG, URL-safe. */
export function generateToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashSecret(token) };
}

/** SHA-256, hex. Fine for high-entropy secrets (never for passwords: those go through argon2id). */
export function hashSecret(secret: string): string {
  // crypto.hash: the one-shot form (Node 20.12+), cheaper than a Hash object on the /v1 hot path.
  return hash("sha256", secret, "hex");
}

/** Constant-time comparison of two hex digests, so that timing reveals nothing about a stored hash. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

// Recovery codes are read off paper and typed back: lower case, no 0/o, 1/l/i look-alikes.
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** A second-factor recovery code: 16 characters (79 bits) from the CSPRNG, as xxxx-xxxx-xxxx-xxxx. */
export function generateRecoveryCode(): string {
  let raw = "";
  for (let i = 0; i < 16; i++) raw += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return raw.match(/.{4}/g)?.join("-") ?? raw;
}
