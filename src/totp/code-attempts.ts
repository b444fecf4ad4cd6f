import type { AbuseLimits } from "../accounts/abuse-limits.js";

export type RateLimited = { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

/**
 * Runs one second-factor check as a login attempt: counted against the email from this IP, the email
 * and the IP before the check (so parallel guesses are counted too), and given back only when it
 * succeeds. A wrong code therefore costs exactly what a wrong password costs: 10^6 codes cannot be
 * tried any faster than passwords can.
 */
export async function asLoginAttempt<T extends { ok: boolean }>(
  limits: AbuseLimits,
  who: { email: string; ip: string },
  check: () => Promise<T>,
): Promise<T | RateLimited> {
  const blockedFor = await limits.beginLoginAttempt(who.email, who.ip);
  if (blockedFor !== null) return { ok: false, reason: "rate_limited", retryAfterSeconds: blockedFor };
  const result = await check();
  if (result.ok) await limits.loginSucceeded(who.email, who.ip);
  return result;
}
