import { Secret, TOTP } from "otpauth";

// RFC 6238 through the otpauth library: SHA-1, 6 digits, 30-second steps, what every authenticator
// app reads from an otpauth:// URI. Codes are accepted one step either side of now (a clock a little
// off, a code typed as it changed), and the caller keeps the step so that no code is used twice.

export const TOTP_PERIOD_SECONDS = 30;
const ISSUER = "keyward";

function totpFor(secretBase32: string, label = ""): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret (RFC 4226's recommended length), base32 as authenticator apps expect it. */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI a QR code carries: issuer keyward, the account's email as the label. */
export function totpUri(secretBase32: string, email: string): string {
  return totpFor(secretBase32, email).toString();
}

/** The code for a moment; for tests and the CLI, which act as the authenticator app. */
export function totpCodeAt(secretBase32: string, at: Date): string {
  return totpFor(secretBase32).generate({ timestamp: at.getTime() });
}

/**
 * The time step the code belongs to (now's, the one before or the one after), or null when it
 * matches none of them. The library compares in constant time.
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpFor(secretBase32);
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  return totp.counter({ timestamp: now.getTime() }) + delta;
}
