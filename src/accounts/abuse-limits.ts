import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { hashSecret } from "../secrets/secrets.js";
import { normalizeEmail } from "./email-address.js";

// Limits on the unauthenticated account endpoints, shared by every web process through Redis. Each
// limiter keeps a per-process memory twin as insurance, so that a Redis outage weakens the limits to
// per-process ones instead of switching them off or failing the request.

const MINUTE = 60;
// Login: 10 failures for one email from one IP, 50 for one email from anywhere (guesses spread over
// many addresses), 100 from one IP over any emails (one address trying many accounts). The first is
// per email AND IP so that a stranger's 10 wrong passwords do not lock the owner out: an attempt the
// first refuses counts nowhere else, so locking an account from everywhere takes failures from at
// least 5 addresses. IPv6 addresses count per /64 (one host usually holds a whole /64).
const LIMITS = {
  loginEmailIp: { points: 10, duration: 15 * MINUTE },
  loginEmail: { points: 50, duration: 15 * MINUTE },
  loginIp: { points: 100, duration: 15 * MINUTE },
  signupIp: { points: 20, duration: 60 * MINUTE },
  emailRequestEmail: { points: 5, duration: 60 * MINUTE },
  emailRequestIp: { points: 30, duration: 60 * MINUTE },
} as const;

export interface AbuseLimits {
  /**
   * Counts a login attempt against the email from this IP, the email and the IP before the password
   * is checked, so that guesses sent in parallel are counted too; seconds to wait when over any
   * limit, else null.
   */
  beginLoginAttempt(email: string, ip: string): Promise<number | null>;
  /**
   * After a correct password: the email's count from this IP is cleared, and the attempt given back
   * to the email and the IP (only failures add up). The email's count from elsewhere stays: the
   * owner logging in does not reset what others have tried.
   */
  loginSucceeded(email: string, ip: string): Promise<void>;
  /**
   * After a correct password where it does not clear the count (two-factor on): the attempt alone is
   * given back to the pair, the email and the IP, so that a right password neither adds nor clears.
   */
  loginAttemptGivenBack(email: string, ip: string): Promise<void>;
  /** Count one request; seconds to wait when over the limit, else null. */
  consumeSignup(ip: string): Promise<number | null>;
  consumeVerificationEmail(email: string, ip: string): Promise<number | null>;
  consumePasswordReset(email: string, ip: string): Promise<number | null>;
}

function limiter(redis: Redis, keyPrefix: string, opts: { points: number; duration: number }) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    ...opts,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, ...opts }),
  });
}

/**
 * The key a client address is limited under: an IPv4 address as it is, an IPv6 address by its /64
 * (its first four groups, written out), since one host or customer is usually given a whole /64 and
 * could otherwise take a fresh address for every few attempts.
 */
export function sourceOf(ip: string): string {
  if (!ip.includes(":")) return ip;
  // IPv4 written as IPv6 ("::ffff:1.2.3.4"): the IPv4 address.
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1);
  const [head = "", tail] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  return `${prefix.join(":")}::/64`;
}

// Emails are keyed by a hash so that addresses do not sit in Redis key names, and normalised exactly as
// accounts are looked up (email-address.ts): a spelling that finds an account counts under its key.
const emailKey = (email: string) => hashSecret(normalizeEmail(email));
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

async function consume(l: RateLimiterRedis, key: string): Promise<number | null> {
  try {
    await l.consume(key);
    return null;
  } catch (err) {
    if (err instanceof RateLimiterRes) return seconds(err.msBeforeNext);
    throw err;
  }
}

async function consumeAll(pairs: [RateLimiterRedis, string][]): Promise<number | null> {
  const waits = await Promise.all(pairs.map(([l, key]) => consume(l, key)));
  const blocked = waits.filter((w): w is number => w !== null);
  return blocked.length > 0 ? Math.max(...blocked) : null;
}

export function createAbuseLimits(redis: Redis, redisPrefix: string): AbuseLimits {
  const p = `${redisPrefix}:rl`;
  const loginEmailIp = limiter(redis, `${p}:login-email-ip`, LIMITS.loginEmailIp);
  const loginEmail = limiter(redis, `${p}:login-email`, LIMITS.loginEmail);
  const loginIp = limiter(redis, `${p}:login-ip`, LIMITS.loginIp);
  const signupIp = limiter(redis, `${p}:signup-ip`, LIMITS.signupIp);
  const verifyEmail = limiter(redis, `${p}:verify-email`, LIMITS.emailRequestEmail);
  const verifyIp = limiter(redis, `${p}:verify-ip`, LIMITS.emailRequestIp);
  const resetEmail = limiter(redis, `${p}:reset-email`, LIMITS.emailRequestEmail);
  const resetIp = limiter(redis, `${p}:reset-ip`, LIMITS.emailRequestIp);

  return {
    async beginLoginAttempt(email, ip) {
      const [account, source] = [emailKey(email), sourceOf(ip)];
      // The pair first: what it refuses must not use up the email's count from everywhere (else one
      // address hammering on after its 10 would lock the owner out of every other one).
      const pairWait = await consume(loginEmailIp, `${account}:${source}`);
      if (pairWait !== null) return pairWait;
      return consumeAll([
        [loginEmail, account],
        [loginIp, source],
      ]);
    },
    async loginSucceeded(email, ip) {
      const [account, source] = [emailKey(email), sourceOf(ip)];
      await Promise.all([
        loginEmailIp.delete(`${account}:${source}`),
        loginEmail.reward(account, 1),
        loginIp.reward(source, 1),
      ]);
    },
    async loginAttemptGivenBack(email, ip) {
      const [account, source] = [emailKey(email), sourceOf(ip)];
      await Promise.all([
        loginEmailIp.reward(`${account}:${source}`, 1),
        loginEmail.reward(account, 1),
        loginIp.reward(source, 1),
      ]);
    },
    consumeSignup: (ip) => consume(signupIp, sourceOf(ip)),
    consumeVerificationEmail: (email, ip) =>
      consumeAll([
        [verifyEmail, emailKey(email)],
        [verifyIp, sourceOf(ip)],
      ]),
    consumePasswordReset: (email, ip) =>
      consumeAll([
        [resetEmail, emailKey(email)],
        [resetIp, sourceOf(ip)],
      ]),
  };
}
