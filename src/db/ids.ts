import { randomBytes } from "node:crypto";

// Time-ordered ids with a type prefix: 10 characters of millisecond time then 16 random ones, all
// Crockford base32 (lower case), so that lexicographic order is creation order.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "acc" | "ses" | "tok" | "key" | "evt" | "rec" | "chl";

export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}
