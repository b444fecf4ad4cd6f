import { readFileSync } from "node:fs";
import argon2 from "argon2";
import { predictableMessage, predictableParts } from "./password-patterns.js";

// argon2id at OWASP's minimum (19 MiB, t=2, p=1). Raising any of these makes logins rehash the
// stored hash with the new parameters (see verifyPassword), so old accounts catch up as they log in.
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_CODE_POINTS = 12;
export const PASSWORD_MAX_CODE_POINTS = 256;
// The shortest email local part that a password may not contain: "containing 'jo'" would refuse most
// passwords for no security gain, while equality is refused whatever the length.
const MIN_LOCAL_PART_FOR_CONTAINS = 3;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/**
 * Checks a password against a stored hash; `rehash` is set when the hash was made with weaker
 * parameters than today's, so the caller can store the new one.
 */
export async function verifyPassword(
  storedHash: string,
  password: string,
): Promise<{ ok: boolean; rehash: string | null }> {
  let ok = false;
  try {
    ok = await argon2.verify(storedHash, password);
  } catch {
    ok = false;
  }
  if (!ok) return { ok: false, rehash: null };
  const rehash = argon2.needsRehash(storedHash, ARGON2_OPTIONS) ? await hashPassword(password) : null;
  return { ok: true, rehash };
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification for an email that has no account, so that "unknown email"
 * and "wrong password" cannot be told apart by timing.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword("keyward dummy password, never matches anything real");
  await verifyPassword(await dummyHash, password);
}

let commonPasswords: Set<string> | undefined;

/** The bundled list of common passwords, loaded once, lower-cased. */
function commonPasswordSet(): Set<string> {
  if (!commonPasswords) {
    const text = readFileSync(new URL("./common-passwords.txt", import.meta.url), "utf8");
    commonPasswords = new Set(
      text
        .split(/\r?\n/)
        .map((line) => line.trim().toLowerCase())
        .filter(Boolean),
    );
  }
  return commonPasswords;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswordSet().has(password.toLowerCase());
}

/**
 * NIST 800-63B style rules: length in code points (so emoji and accents count as one), no
 * composition rules, no password equal to or containing the email's local part, none from the list,
 * none made mostly of repetitions, sequences or the service's name (see password-patterns.ts).
 * Returns the reason for refusal, worded to follow the field's name as every validation message does
 * ("password: must be at least 12 characters"), or null when the password is acceptable.
 */
export function passwordProblem(password: string, email: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_CODE_POINTS) {
    return `must be at least ${PASSWORD_MIN_CODE_POINTS} characters`;
  }
  if (length > PASSWORD_MAX_CODE_POINTS) {
    return `must be at most ${PASSWORD_MAX_CODE_POINTS} characters`;
  }
  const lower = password.toLowerCase();
  const localPart = (email.trim().split("@")[0] ?? "").toLowerCase();
  if (
    localPart &&
    (lower === localPart || (localPart.length >= MIN_LOCAL_PART_FOR_CONTAINS && lower.includes(localPart)))
  ) {
    return "must not contain the email address";
  }
  if (isCommonPassword(password)) return "is too common";
  const predictable = predictableParts(password, isCommonPassword);
  if (predictable) return predictableMessage(predictable);
  return null;
}

/** Warms the list and the dummy hash at start, so the first login is not slower than the rest. */
export function warmUpPasswords(): void {
  commonPasswordSet();
  void verifyAgainstDummy("warm-up");
}
